"""Reads of the register: persons, their status on a date, search, employers and their staff.

Functions that take `user` check it (enrollment.permissions) before reading, so the page, the API
and an export that share a selector share its access check.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, OrderBy, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from core.masking import mask_id_number
from core.timeline import object_timeline

from ..identity import IdentityError, check_id_number
from ..models import Application, Discrepancy, Employer, Person, StatusChange
from ..permissions import access_register, can_reveal_id_number

__all__ = [
    "PersonQuery", "employer_staff", "employers_visible_to", "home_summary", "parse_person_query",
    "person_overview", "persons_with_status_on", "search_employers", "search_persons", "staff_counts", "status_history",
    "status_on",
]

# Columns a list of persons shows: enough for the search results, the staff list and their exports.
PERSON_LIST_FIELDS = ("id", "id_number", "name", "gender", "birth_date", "insurance_type", "employer_code",
                      "status", "status_date")


def status_on(person: Person, on: date) -> str | None:
    """The status in force on a date: the latest change that took effect on or before it.

    None when the person's first known status took effect after the date (not insured then).
    """
    return (
        StatusChange.objects.filter(person=person, status_date__lte=on)
        .order_by("-status_date", "-id").values_list("status", flat=True).first()
    )


def persons_with_status_on(on: date):
    """Persons annotated with `status_on` for a date, in one query (set-based, for other apps' rules)."""
    latest = (
        StatusChange.objects.filter(person=OuterRef("pk"), status_date__lte=on)
        .order_by("-status_date", "-id").values("status")[:1]
    )
    return Person.objects.annotate(status_on=Subquery(latest))


def home_summary(user) -> dict:
    from django.utils import timezone

    from core.workdays import add_working_days

    from .reconciliation import open_discrepancies

    today = timezone.localdate()
    open_cases = Application.objects.filter(status__in=Application.OPEN_STATES)
    soon = add_working_days(today, 2)
    return {
        "mine": open_cases.filter(created_by=user).count(),
        "due_soon": open_cases.filter(due_date__gte=today, due_date__lte=soon).count(),
        "overdue": open_cases.filter(due_date__lt=today).count(),
        "discrepancies": open_discrepancies().count(),
    }


# --- Person search ---------------------------------------------------------------------------------

_ID_PREFIX = re.compile(r"^[0-9]{1,17}[0-9X]?$")
_INITIALS = re.compile(r"^[a-z]{1,50}$")


@dataclass(frozen=True)
class PersonQuery:
    """What the search box was given: kind is 'id_number', 'name' or 'initials'."""

    kind: str
    value: str


def parse_person_query(text: str) -> PersonQuery | None:
    """An identity number or its prefix (digits, a final X), pinyin initials (letters), or a name prefix."""
    text = (text or "").strip()
    compact = re.sub(r"\s+", "", text)
    if not compact:
        return None
    if _ID_PREFIX.match(compact.upper()):
        return PersonQuery("id_number", compact.upper())
    if _INITIALS.match(compact.lower()):
        return PersonQuery("initials", compact.lower())
    if len(text) > 50 or any(ch.isdigit() for ch in text):
        return None  # no name is this long or has digits: nothing can match
    return PersonQuery("name", text)


class PatternOrder(OrderBy):
    """ORDER BY col USING ~<~: the order of a varchar_pattern_ops index.

    The person search indexes (Person.Meta) use varchar_pattern_ops so that LIKE 'prefix%' is an
    index range whatever the database's collation; ordering by the same operator lets PostgreSQL
    read a page straight off that index and stop after it (no sort of every match). The comment is
    for Django's compiler, which finds each ORDER BY term's expression by looking for ASC or DESC.
    """

    template = "%(expression)s USING ~<~ /* ASC */"

    def __init__(self, field: str):
        super().__init__(F(field))


_SEARCH = {
    "id_number": ("id_number__startswith", ("id_number",)),
    "name": ("name__startswith", ("name",)),
    "initials": ("name_initials__startswith", ("name_initials", "name")),
}


def person_search_queryset(query: PersonQuery | None):
    """The persons a query matches, in index order: one index range scan, read a page at a time.

    Not access-checked: callers go through search_persons().
    """
    if query is None:
        return Person.objects.none()
    lookup, order = _SEARCH[query.kind]
    return (
        Person.objects.filter(**{lookup: query.value}).only(*PERSON_LIST_FIELDS)
        .order_by(*(PatternOrder(f) for f in order), "id")
    )


SHOWN_ID_DIGITS = 4  # the masked number shows its first and last four characters


def partial_number_hidden(user, query: PersonQuery | None) -> bool:
    """A partial identity number longer than what the mask shows would let someone without the
    permission to see full numbers work out the hidden digits one at a time: it must be whole."""
    return (query is not None and query.kind == "id_number" and SHOWN_ID_DIGITS < len(query.value) < 18
            and not can_reveal_id_number(user))


def search_persons(*, user, query: str):
    """Persons matching the search box's text, for a user who may read the register.

    Without the permission to see full numbers, an identity number is searched whole (or by the
    four digits the mask shows anyway), never by a longer prefix.
    """
    access_register(user)
    parsed = parse_person_query(query)
    if partial_number_hidden(user, parsed):
        return Person.objects.none()
    return person_search_queryset(parsed)


# --- A person's page ---------------------------------------------------------------------------------

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def mask_numbers_in(value):
    """Audit values may quote identity numbers (a change, an agency row): mask those that check out."""
    if isinstance(value, str):
        def mask(match):
            try:
                return mask_id_number(check_id_number(match.group(0)))
            except IdentityError:
                return match.group(0)
        return _ID_IN_TEXT.sub(mask, value)
    if isinstance(value, dict):
        return {k: mask_numbers_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_numbers_in(v) for v in value]
    return value


def masked_history(obj, limit: int = 200) -> list[dict]:
    """An object's history in sentences (core.timeline), identity numbers masked, for pages: a fixed
    number of queries however long it is. enrollment's AuditText masks the entries before they are
    worded; the sentences are masked again here, so no page shows a full number whatever it quotes."""
    return [{**item, "text": mask_numbers_in(item["text"]), "note": mask_numbers_in(item["note"])}
            for item in object_timeline(obj, limit)]


def reference_text(reference: str) -> str:
    """A status change's reference in words: a case number stays, "discrepancy:12" reads as
    "比对不一致 #12", the demo data's marker as what it is."""
    reference = (reference or "").strip()
    if reference.startswith("discrepancy:"):
        return _("discrepancy #%(id)s") % {"id": reference.split(":", 1)[1]}
    if reference == "seed_demo":
        return str(_("demo data"))
    return reference


def status_history(person: Person):
    """The person's status changes, latest first."""
    return person.status_changes.select_related("recorded_by").order_by("-status_date", "-id")


def person_overview(person: Person, limit: int = 200) -> dict:
    """Everything a person's page shows beside the person, one query per list."""
    employer = Employer.objects.filter(uscc=person.employer_code).first() if person.employer_code else None
    return {
        "employer": employer,
        "status_changes": [_with_reference_text(s) for s in status_history(person)[:limit]],
        "applications": list(Application.objects.filter(person=person)
                             .only("id", "number", "kind", "status", "created_at", "due_date")
                             .order_by("-created_at")[:limit]),
        "discrepancies": list(Discrepancy.objects.filter(id_number=person.id_number)
                              .order_by(F("closed_on").desc(nulls_first=True), "-last_seen", "-id")[:limit]),
        "history": masked_history(person, limit),
    }


def _with_reference_text(change: StatusChange) -> StatusChange:
    change.reference_text = reference_text(change.reference)
    return change


# --- Employers --------------------------------------------------------------------------------------

_CODE_PREFIX = re.compile(r"^[0-9A-Z]{1,18}$")


def employers_visible_to(user):
    access_register(user)
    return Employer.objects.order_by("name", "id")


def search_employers(queryset, text: str):
    """Narrow employers to a code prefix or a name prefix (both on an index)."""
    text = (text or "").strip()
    if not text:
        return queryset
    if _CODE_PREFIX.match(text.upper()):
        return queryset.filter(Q(uscc__startswith=text.upper()) | Q(name__startswith=text))
    return queryset.filter(name__startswith=text)


def employer_staff(employer: Employer):
    """The employer's staff in name order, on the (employer_code, name) index."""
    return (Person.objects.filter(employer_code=employer.uscc).only(*PERSON_LIST_FIELDS)
            .order_by("name", "id"))


def staff_counts(employer: Employer) -> dict:
    """{'total': n, 'ACTIVE': n, ...} for the employer's staff, in one query."""
    counts = dict(Person.objects.filter(employer_code=employer.uscc).order_by().values("status")
                  .annotate(n=Count("id")).values_list("status", "n"))
    return {"total": sum(counts.values()), **counts}
