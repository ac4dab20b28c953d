"""Reads of registrations: what applies to a person on a date, a person's list, the office's list.

Valid on a date (spec/review-rules.md): not revoked, valid_from on or before it and valid_to empty
or on or after it. A referral instead runs from approved_on: it may begin until three calendar
months after approval (the same day of the month, or that month's last day), and once used in
time (first_used_on) covers follow-ups until a year after approval. PostgreSQL's
`date + interval 'n months'` clamps to the month's last day exactly as the spec does, so the
window is computed in the query (AddMonths) and by add_months() alike.
"""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from django.db.models import DateField, F, Func, Q, QuerySet, Value

from ..models import Registration
from ..models.registrations import PenaltyMeasure, RegistrationKind

__all__ = [
    "REFERRAL_BEGIN_MONTHS", "REFERRAL_FOLLOW_UP_MONTHS", "AddMonths", "ReferralWindow", "active_penalties",
    "add_months", "referral_window", "registration_list", "registrations_of", "registrations_valid_on", "valid_on",
    "with_state",
]

REFERRAL_BEGIN_MONTHS = 3
REFERRAL_FOLLOW_UP_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day where it has no such day."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


class AddMonths(Func):
    """approved_on + n calendar months, clamped to the month's last day (PostgreSQL's own rule)."""

    template = "CAST((%(expressions)s) AS date)"
    arg_joiner = " + INTERVAL '1 month' * "
    output_field = DateField()

    def __init__(self, expression, months: int, **extra):
        super().__init__(expression, Value(months), **extra)


@dataclass(frozen=True)
class ReferralWindow:
    begin_by: date  # the last day an episode may begin under it
    follow_up_until: date  # the last day of follow-ups, once it was used in time


def referral_window(registration: Registration) -> ReferralWindow:
    return ReferralWindow(add_months(registration.approved_on, REFERRAL_BEGIN_MONTHS),
                          add_months(registration.approved_on, REFERRAL_FOLLOW_UP_MONTHS))


def valid_on(on: date) -> Q:
    """The registrations valid on a date (for a queryset annotated by _with_window)."""
    dated = (~Q(kind=RegistrationKind.REFERRAL) & Q(valid_from__lte=on)
             & (Q(valid_to__isnull=True) | Q(valid_to__gte=on)))
    referral = (Q(kind=RegistrationKind.REFERRAL, approved_on__lte=on)
                & (Q(begin_by__gte=on) | Q(first_used_on__isnull=False, follow_up_until__gte=on)))
    return Q(status=Registration.Status.ACTIVE) & (dated | referral)


def _with_window(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(begin_by=AddMonths(F("approved_on"), REFERRAL_BEGIN_MONTHS),
                             follow_up_until=AddMonths(F("approved_on"), REFERRAL_FOLLOW_UP_MONTHS))


def registrations_valid_on(person_id: int, on: date) -> QuerySet[Registration]:
    """Every registration of the person valid on the date (one query), by kind and number."""
    return (_with_window(Registration.objects.filter(person_id=person_id)).filter(valid_on(on))
            .order_by("kind", "number"))


def active_penalties(person_id: int, on: date) -> QuerySet[Registration]:
    """The person's penalties active on the date (a valid PENALTY is active)."""
    return registrations_valid_on(person_id, on).filter(kind=RegistrationKind.PENALTY,
                                                        measure__in=PenaltyMeasure.values)


def registrations_of(person_id: int) -> QuerySet[Registration]:
    """All of a person's registrations, revoked ones included, the latest approval first."""
    return _with_window(Registration.objects.filter(person_id=person_id)).order_by("-approved_on", "-id")


def registration_list() -> QuerySet[Registration]:
    """Every registration with its person, the latest approval first (the registrations page)."""
    return _with_window(Registration.objects.select_related("person")).order_by("-approved_on", "-id")


def _upcoming(on: date) -> Q:
    return (Q(status=Registration.Status.ACTIVE)
            & ((Q(kind=RegistrationKind.REFERRAL) & Q(approved_on__gt=on))
               | (~Q(kind=RegistrationKind.REFERRAL) & Q(valid_from__gt=on))))


def with_state(queryset: QuerySet, state: str, on: date) -> QuerySet:
    """Narrow registrations (annotated by _with_window) to a state on a date: in_force, upcoming,
    ended (neither, and not revoked) or revoked."""
    if state == "in_force":
        return queryset.filter(valid_on(on))
    if state == "upcoming":
        return queryset.filter(_upcoming(on))
    if state == "ended":
        return queryset.filter(status=Registration.Status.ACTIVE).exclude(valid_on(on)).exclude(_upcoming(on))
    if state == "revoked":
        return queryset.filter(status=Registration.Status.REVOKED)
    return queryset


def state_on(registration: Registration, on: date) -> str:
    """The state of one registration on a date (as with_state filters)."""
    if registration.status == Registration.Status.REVOKED:
        return "revoked"
    if registration.kind == RegistrationKind.REFERRAL:
        window = referral_window(registration)
        if on < registration.approved_on:
            return "upcoming"
        in_force = on <= window.begin_by or (registration.first_used_on is not None and on <= window.follow_up_until)
        return "in_force" if in_force else "ended"
    if registration.valid_from and on < registration.valid_from:
        return "upcoming"
    return "ended" if registration.valid_to and on > registration.valid_to else "in_force"
