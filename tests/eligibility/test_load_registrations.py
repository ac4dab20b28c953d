"""`load_registrations`: exactly the spec's reasons (one test each), all or nothing, idempotent,
a version and an audit entry for every change."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry
from eligibility.models import Registration, RegistrationVersion
from tests.factories import PersonFactory

from .files import REGISTRATION_HEADER, registration, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english", "providers")]


@pytest.fixture
def person():
    return PersonFactory()


@pytest.fixture
def other():
    return PersonFactory()


def load(path) -> list[str]:
    out = StringIO()
    call_command("load_registrations", "--file", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def refused(path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_registrations", "--file", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def snapshot():
    return list(Registration.objects.order_by("kind", "number").values_list(
        "kind", "number", "person_id", "approved_on", "valid_from", "valid_to", "provider_codes",
        "diagnosis_categories", "measure", "version"))


def every_kind(idn):
    return [
        registration("REFERRAL", "Z-001", idn, provider_codes="H11010001;H11010002", valid_from="2026-07-01"),
        registration("SPECIAL_DISEASE", "M-001", idn, diagnosis_categories="e11; I10"),
        registration("RESIDENCE_ELSEWHERE", "R-001", idn, provider_codes="H11010001;H11010002;H31010001;H11010003"),
        registration("PENALTY", "P-001", idn, measure="SETTLEMENT_METHOD"),
        registration("PENALTY", "P-002", idn, measure="RESTRICTED_PROVIDERS", provider_codes="H32010001"),
        registration("PENALTY", "P-003", idn, measure="MONITORING", valid_to=""),
    ]


def test_every_kind_loads_and_loading_the_file_again_changes_nothing(tmp_path, person):
    path = write_csv(tmp_path / "r.csv", REGISTRATION_HEADER, every_kind(person.id_number))
    assert load(path) == ["CREATED: 6", "UPDATED: 0", "UNCHANGED: 0", "REGISTRATIONS: 6"]
    first = snapshot()
    entries = AuditEntry.objects.count()
    assert load(path) == ["CREATED: 0", "UPDATED: 0", "UNCHANGED: 6", "REGISTRATIONS: 6"]
    assert snapshot() == first
    assert AuditEntry.objects.count() == entries + 1  # only the load's own entry
    referral = Registration.objects.get(kind="REFERRAL")
    assert (referral.valid_from, referral.valid_to, referral.provider_codes) == (None, None, ["H11010001", "H11010002"])
    assert Registration.objects.get(number="M-001").diagnosis_categories == ["E11", "I10"]
    penalty = Registration.objects.get(number="P-002")
    assert (penalty.measure, penalty.valid_from, penalty.valid_to, penalty.source) == (
        "RESTRICTED_PROVIDERS", date(2026, 1, 1), date(2026, 12, 31), "LOAD")
    assert AuditEntry.objects.filter(action="eligibility.registration.created").count() == 6
    assert RegistrationVersion.objects.count() == 6


def test_a_loaded_row_updates_its_registration_keeping_the_history(tmp_path, person, other):
    load(write_csv(tmp_path / "1.csv", REGISTRATION_HEADER, every_kind(person.id_number)))
    changed = every_kind(person.id_number)
    changed[1] = registration("SPECIAL_DISEASE", "M-001", other.id_number, diagnosis_categories="E11",
                              valid_to="2027-06-30")
    assert load(write_csv(tmp_path / "2.csv", REGISTRATION_HEADER, changed[:2])) == [
        "CREATED: 0", "UPDATED: 1", "UNCHANGED: 1", "REGISTRATIONS: 6"]
    special = Registration.objects.get(number="M-001")
    assert (special.person, special.diagnosis_categories, special.valid_to, special.version) == (
        other, ["E11"], date(2027, 6, 30), 2)
    versions = list(special.versions.order_by("version").values_list("version", "change", "reference"))
    assert versions == [(1, "created", "1.csv"), (2, "updated", "2.csv")]
    entry = AuditEntry.objects.get(action="eligibility.registration.updated")
    assert entry.object_id == str(special.pk)
    assert entry.before["person"] == person.pk and entry.after["person"] == other.pk
    assert entry.before["diagnosis_categories"] == ["E11", "I10"] and entry.after["valid_to"] == "2027-06-30"


def test_a_level_1_referral_destination_and_a_penalty_without_a_decision_are_taken_as_decided(tmp_path, person):
    rows = [registration("REFERRAL", "Z-9", person.id_number, provider_codes="H11010003"),
            registration("RESIDENCE_ELSEWHERE", "R-9", person.id_number, provider_codes="H32010003"),
            registration("PENALTY", "P-9", person.id_number)]
    assert load(write_csv(tmp_path / "r.csv", REGISTRATION_HEADER, rows))[0] == "CREATED: 3"
    assert Registration.objects.get(number="P-9").decision_reference == ""


def test_a_referral_ignores_its_dates_even_when_they_are_not_dates(tmp_path, person):
    rows = [registration("REFERRAL", "Z-1", person.id_number, valid_from="soon", valid_to="2026-02-30")]
    assert load(write_csv(tmp_path / "r.csv", REGISTRATION_HEADER, rows))[0] == "CREATED: 1"


def _one_problem(tmp_path, person, row: dict, expected: str):
    load(write_csv(tmp_path / "ok.csv", REGISTRATION_HEADER, [registration("REFERRAL", "Z-0", person.id_number)]))
    before = snapshot()
    rows = [registration("REFERRAL", "Z-100", person.id_number), row]
    assert refused(write_csv(tmp_path / "bad.csv", REGISTRATION_HEADER, rows)) == [expected]
    assert snapshot() == before


@pytest.mark.parametrize(("kind", "values", "expected"), [
    ("TRANSFER", {}, "column kind: the kind is not REFERRAL, SPECIAL_DISEASE, RESIDENCE_ELSEWHERE or PENALTY"),
    ("PENALTY", {"measure": "FINE"},
     "column measure: the measure is not SETTLEMENT_METHOD, RESTRICTED_PROVIDERS or MONITORING"),
    ("REFERRAL", {"number": " "}, "column number: the number is empty"),
    ("REFERRAL", {"id_number": "110105194912310021"},
     "column id_number: no insured person with this identity number in the register"),
    ("REFERRAL", {"approved_on": "2026-06-31"}, "column approved_on: not a real YYYY-MM-DD date"),
    ("SPECIAL_DISEASE", {"valid_from": ""}, "column valid_from: empty: this kind needs valid_from"),
    ("RESIDENCE_ELSEWHERE", {"valid_from": "2026-1-1"}, "column valid_from: not a real YYYY-MM-DD date"),
    ("PENALTY", {"valid_to": "forever"}, "column valid_to: not empty or a real YYYY-MM-DD date"),
    ("PENALTY", {"valid_to": "2025-12-31"}, "column valid_to: valid_to is before valid_from"),
    ("REFERRAL", {"provider_codes": "H11010001;H99999999"}, "column provider_codes: not a loaded provider: H99999999"),
    ("RESIDENCE_ELSEWHERE", {"provider_codes": "H32010001;H32010003;H11010001;H11010002;H31010001"},
     "column provider_codes: 5 providers where this kind lists 1 to 4"),
    ("REFERRAL", {"provider_codes": ""}, "column provider_codes: empty: this kind needs at least one provider"),
    ("RESIDENCE_ELSEWHERE", {"provider_codes": ""},
     "column provider_codes: empty: this kind needs at least one provider"),
    ("PENALTY", {"measure": "RESTRICTED_PROVIDERS"},
     "column provider_codes: empty: this kind needs at least one provider"),
    ("SPECIAL_DISEASE", {"provider_codes": "H32010001"}, "column provider_codes: must be empty for this kind (or measure)"),
    ("PENALTY", {"measure": "MONITORING", "provider_codes": "H32010001"},
     "column provider_codes: must be empty for this kind (or measure)"),
    ("SPECIAL_DISEASE", {"diagnosis_categories": "E11;E11.9"}, "column diagnosis_categories: not a letter and two "
                                                               "digits: E11.9"),
    ("SPECIAL_DISEASE", {"diagnosis_categories": ""},
     "column diagnosis_categories: empty: a special disease needs at least one diagnosis category"),
    ("REFERRAL", {"diagnosis_categories": "E11"}, "column diagnosis_categories: must be empty for this kind"),
    ("PENALTY", {"measure": ""}, "column measure: empty: a penalty needs its measure"),
    ("RESIDENCE_ELSEWHERE", {"measure": "MONITORING"}, "column measure: must be empty for this kind"),
])
def test_each_reason_of_the_spec_refuses_the_whole_file(tmp_path, person, kind, values, expected):
    row = registration(kind, **{"number": "X-1", "id_number": person.id_number, **values})
    _one_problem(tmp_path, person, row, f"line 3, {expected}")


def test_a_number_twice_for_one_kind_refuses_the_file_but_not_across_kinds(tmp_path, person):
    rows = [registration("REFERRAL", "N-1", person.id_number), registration("PENALTY", "N-1", person.id_number),
            registration("REFERRAL", "N-1", person.id_number)]
    assert refused(write_csv(tmp_path / "r.csv", REGISTRATION_HEADER, rows)) == [
        "line 4, column number: the same kind and number as line 2"]


def test_a_row_with_the_wrong_number_of_columns_refuses_the_file(tmp_path, person):
    path = write_csv(tmp_path / "r.csv", REGISTRATION_HEADER, [registration("REFERRAL", "Z-1", person.id_number)])
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"REFERRAL,Z-2,{person.id_number}\n")
    assert refused(path) == ["line 3, row: wrong number of columns"]


def test_every_bad_row_is_listed_and_nothing_is_loaded(tmp_path, person):
    rows = [registration("REFERRAL", "Z-1", person.id_number, provider_codes=""),
            registration("PENALTY", "P-1", person.id_number, measure="", approved_on="x"),
            registration("SPECIAL_DISEASE", "M-1", person.id_number)]
    assert refused(write_csv(tmp_path / "r.csv", REGISTRATION_HEADER, rows)) == [
        "line 2, column provider_codes: empty: this kind needs at least one provider",
        "line 3, column approved_on: not a real YYYY-MM-DD date",
        "line 3, column measure: empty: a penalty needs its measure",
    ]
    assert not Registration.objects.exists()
