"""Registrations: what is valid on a date (the referral windows of the spec), and the single
changes with their versions and audit entries."""

from datetime import date

import pytest

from core.errors import InvalidTransition, PermissionDenied
from core.models import AuditEntry
from eligibility.models import Registration
from eligibility.registration_kinds import KINDS, MEASURES
from eligibility.selectors.registrations import (
    active_penalties,
    add_months,
    referral_window,
    registrations_valid_on,
)
from eligibility.services.registrations import create_registration, record_referral_use, revoke_registration
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

Kind = Registration.Kind


def test_every_kind_and_measure_has_exactly_one_declaration():
    assert set(KINDS) == set(Registration.Kind.values)
    assert set(MEASURES) == set(Registration.Measure.values)
    assert all(rules.kind == kind for kind, rules in KINDS.items())


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 7, 1), 3, date(2026, 10, 1)),
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2027, 11, 30), 3, date(2028, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2026, 7, 1), 12, date(2027, 7, 1)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def _make(person, kind, number, actor=None, **values):
    return create_registration(actor=actor, person=person, kind=kind, number=number,
                               source=Registration.Source.DEMO, **values)


def _valid(person, on) -> set[str]:
    return set(registrations_valid_on(person.pk, on).values_list("number", flat=True))


def test_a_referral_may_begin_within_three_months_and_after_a_use_in_time_covers_a_year():
    person = PersonFactory()
    referral = _make(person, Kind.REFERRAL, "Z-1", approved_on=date(2026, 7, 1), provider_codes=["H11010001"])
    assert referral_window(referral).begin_by == date(2026, 10, 1)
    assert _valid(person, date(2026, 6, 30)) == set()
    assert _valid(person, date(2026, 7, 1)) == _valid(person, date(2026, 10, 1)) == {"Z-1"}
    assert _valid(person, date(2026, 10, 2)) == set()  # not used in time: no follow-ups
    record_referral_use(actor=None, registration=referral, used_on=date(2026, 8, 15), reference="claim 1")
    assert _valid(person, date(2026, 10, 2)) == _valid(person, date(2027, 7, 1)) == {"Z-1"}
    assert _valid(person, date(2027, 7, 2)) == set()


def test_a_referral_approved_on_the_30th_of_november_may_begin_until_the_end_of_february():
    person = PersonFactory()
    _make(person, Kind.REFERRAL, "Z-2", approved_on=date(2026, 11, 30), provider_codes=["H11010001"])
    assert _valid(person, date(2027, 2, 28)) == {"Z-2"}
    assert _valid(person, date(2027, 3, 1)) == set()


def test_a_dated_registration_is_valid_from_its_first_to_its_last_day_and_not_once_revoked(reviewer):
    person = PersonFactory()
    special = _make(person, Kind.SPECIAL_DISEASE, "M-1", approved_on=date(2025, 12, 20),
                    valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), diagnosis_categories=["E11"])
    _make(person, Kind.RESIDENCE_ELSEWHERE, "R-1", approved_on=date(2025, 12, 20), valid_from=date(2026, 1, 1),
          provider_codes=["H11010001"])
    assert _valid(person, date(2025, 12, 31)) == set()
    assert _valid(person, date(2026, 1, 1)) == _valid(person, date(2026, 12, 31)) == {"M-1", "R-1"}
    assert _valid(person, date(2030, 1, 1)) == {"R-1"}
    revoke_registration(actor=reviewer, registration=special, reason="误登记")
    assert _valid(person, date(2026, 6, 1)) == {"R-1"}


def test_active_penalties_are_the_valid_penalties_with_their_measures():
    person = PersonFactory()
    for number, measure, valid_to in (("P-1", "SETTLEMENT_METHOD", date(2026, 6, 30)), ("P-2", "MONITORING", None)):
        _make(person, Kind.PENALTY, number, approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
              valid_to=valid_to, measure=measure)
    assert list(active_penalties(person.pk, date(2026, 6, 30)).values_list("measure", flat=True)) == [
        "SETTLEMENT_METHOD", "MONITORING"]
    assert list(active_penalties(person.pk, date(2026, 7, 1)).values_list("measure", flat=True)) == ["MONITORING"]


def test_a_registration_made_here_keeps_its_decision_and_approver_with_a_version_and_an_audit_entry(reviewer):
    person = PersonFactory()
    penalty = create_registration(
        actor=reviewer, person=person, kind=Kind.PENALTY, number="P-9", approved_on=date(2026, 3, 1),
        valid_from=date(2026, 3, 1), measure="RESTRICTED_PROVIDERS", provider_codes=["H32010001"],
        decision_reference="示医保惩〔2026〕3号", approved_by=reviewer, application_id=42)
    assert (penalty.decision_reference, penalty.approved_by, penalty.application_id) == (
        "示医保惩〔2026〕3号", reviewer, 42)
    assert list(penalty.versions.values_list("version", "change")) == [(1, "created")]
    entry = AuditEntry.objects.get(action="eligibility.registration.created", object_id=str(penalty.pk))
    assert entry.actor_name == reviewer.username and entry.after["measure"] == "RESTRICTED_PROVIDERS"


def test_revoking_needs_a_deciding_role_and_happens_once(reviewer, clerk):
    registration = _make(PersonFactory(), Kind.RESIDENCE_ELSEWHERE, "R-5", approved_on=date(2026, 1, 1),
                         valid_from=date(2026, 1, 1), provider_codes=["H11010001"])
    with pytest.raises(PermissionDenied):
        revoke_registration(actor=clerk, registration=registration, reason="x")
    revoked = revoke_registration(actor=reviewer, registration=registration, reason="本人申请撤销")
    assert revoked.status == "REVOKED" and revoked.version == 2
    assert list(revoked.versions.order_by("version").values_list("change", "reference")) == [
        ("created", ""), ("revoked", "本人申请撤销")]
    assert AuditEntry.objects.get(action="eligibility.registration.revoked").after["note"] == "本人申请撤销"
    with pytest.raises(InvalidTransition):
        revoke_registration(actor=reviewer, registration=revoked, reason="again")


def test_the_first_use_of_a_referral_is_kept_and_a_later_one_changes_nothing():
    referral = _make(PersonFactory(), Kind.REFERRAL, "Z-7", approved_on=date(2026, 7, 1),
                     provider_codes=["H11010001"])
    assert record_referral_use(actor=None, registration=referral, used_on=date(2026, 8, 1)) is True
    assert record_referral_use(actor=None, registration=referral, used_on=date(2026, 9, 1)) is False
    referral.refresh_from_db()
    assert (referral.first_used_on, referral.version) == (date(2026, 8, 1), 2)
    assert AuditEntry.objects.filter(action="eligibility.registration.used").count() == 1
