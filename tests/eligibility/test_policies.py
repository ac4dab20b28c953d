"""Policies as versioned data: the demo policy seeded by migration, versions that never overlap
(the database refuses, the service names the version overlapped), administrators' changes audited,
and versions used by the ledger kept as they were."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from core.errors import ConcurrentEdit, Conflict, PermissionDenied, ValidationFailed
from core.models import AuditEntry
from eligibility import calculation
from eligibility.calculation import INPATIENT, Episode, Line, YearToDate, calculate
from eligibility.models import FundPayment, PolicyRate, PolicyVersion
from eligibility.selectors.policies import policy_book, policy_in_force, policy_snapshot
from eligibility.services import policies
from eligibility.services.ledger import Payment, record_fund_payments
from tests.factories import PersonFactory

from .policies import demo_policy

pytestmark = pytest.mark.django_db


def demo(insurance_type="EMP") -> PolicyVersion:
    return PolicyVersion.objects.get(insurance_type=insurance_type, effective_from=date(2020, 1, 1))


def new_terms(**overrides) -> dict:
    terms = {
        "insurance_type": "EMP", "name": "职工医保 2027", "effective_from": date(2027, 1, 1), "effective_to": None,
        "annual_cap": D("320000.00"), "class_b_first_share_percent": D("10"), "referral_adjustment_points": D("5"),
        "out_of_area_adjustment_points": D("10"), "out_of_area_other_ratio_percent": D("0"),
        "large_expense_ratio_percent": D("90"), "large_expense_cap": D("400000.00"),
        "rates": {key: (D("1000.00") if key[0] == INPATIENT else D("0"), D("75")) for key in policies.RATE_KEYS},
    }
    terms.update(overrides)
    return terms


def close_demo(admin_user, last_day=date(2026, 12, 31), insurance_type="EMP"):
    return policies.change_policy_version(actor=admin_user, policy=demo(insurance_type),
                                          changes={"effective_to": last_day})


def test_migrate_alone_leaves_the_demo_policy_of_the_spec():
    for insurance_type in ("EMP", "RES"):
        version = policy_in_force(insurance_type=insurance_type, on=date(2026, 5, 1))
        assert version is not None
        assert (version.effective_from, version.effective_to) == (date(2020, 1, 1), None)
        assert version.rates.count() == 9
        assert policy_snapshot(version) == replace(demo_policy(insurance_type), version_id=version.pk)
    emp = policy_snapshot(demo("EMP"))
    assert emp.rates[(INPATIENT, 3)] == calculation.Rate(D("900.00"), D("0.8"))
    assert emp.large_expense_ratio == D("0.9") and emp.annual_cap == D("300000.00")
    res = policy_snapshot(demo("RES"))
    assert res.rates[(INPATIENT, 2)] == calculation.Rate(D("500.00"), D("0.7"))
    assert res.large_expense_ratio is None and res.annual_cap == D("200000.00")
    assert policy_in_force(insurance_type="EMP", on=date(2019, 12, 31)) is None


def test_the_seeded_policy_gives_the_worked_example_to_the_cent():
    snapshot = policy_snapshot(policy_in_force(insurance_type="EMP", on=date(2026, 3, 1)))
    r = calculate(snapshot, YearToDate(), Episode("EMP", INPATIENT, 3),
                  [Line(D("5000.00"), "A"), Line(D("2000.00"), "B"), Line(D("500.00"), "C")])
    assert (r.fund_payable, r.personal, r.policy_version_id) == (D("4720.00"), D("2780.00"), demo().pk)


def test_the_database_refuses_overlapping_versions_of_one_insurance_type():
    with pytest.raises(IntegrityError, match="policy_versions_never_overlap"), transaction.atomic():
        PolicyVersion.objects.create(
            insurance_type="EMP", name="overlap", effective_from=date(2025, 1, 1), effective_to=date(2025, 12, 31),
            annual_cap=D("1"), class_b_first_share_percent=D("10"), referral_adjustment_points=D("5"),
            out_of_area_adjustment_points=D("10"))


def test_an_overlapping_version_is_refused_with_a_message_naming_the_version_it_overlaps(admin_user, english):
    terms = new_terms(effective_from=date(2026, 7, 1))
    with pytest.raises(ValidationFailed) as refused:
        policies.create_policy_version(actor=admin_user, **terms)
    assert refused.value.code == "policy_overlap"
    assert "示范市职工基本医疗保险 2020 (EMP, 2020-01-01 – no end)" in str(refused.value.message)
    assert PolicyVersion.objects.filter(insurance_type="EMP").count() == 1


def test_a_race_past_the_check_is_refused_by_the_constraint_with_the_same_named_message(admin_user, english):
    with mock.patch.object(policies, "check_no_overlap"), pytest.raises(ValidationFailed) as refused:
        policies.create_policy_version(actor=admin_user, **new_terms(effective_from=date(2024, 1, 1)))
    assert refused.value.code == "policy_overlap"
    assert "示范市职工基本医疗保险 2020" in str(refused.value.message)
    assert not AuditEntry.objects.filter(action="eligibility.policy_version.created").exists()


def test_a_new_version_after_the_old_one_is_closed_applies_from_its_first_day(admin_user):
    close_demo(admin_user)
    version = policies.create_policy_version(actor=admin_user, **new_terms())
    assert version.rates.count() == 9
    assert policy_in_force(insurance_type="EMP", on=date(2026, 12, 31)) == demo()
    assert policy_in_force(insurance_type="EMP", on=date(2027, 1, 1)) == version
    book = policy_book()
    assert book.on("EMP", date(2027, 6, 1)).version_id == version.pk
    assert book.on("EMP", date(2026, 6, 1)).version_id == demo().pk
    assert book.on("RES", date(2027, 6, 1)).version_id == demo("RES").pk
    assert book.on("EMP", date(2019, 6, 1)) is None


def test_versions_of_different_insurance_types_may_share_dates(admin_user):
    close_demo(admin_user, insurance_type="RES")
    version = policies.create_policy_version(actor=admin_user, **new_terms(insurance_type="RES",
                                                                           large_expense_ratio_percent=None,
                                                                           large_expense_cap=None))
    assert version.effective_from == date(2027, 1, 1)


def test_creating_and_changing_a_version_are_audited_with_before_and_after(admin_user):
    closed = close_demo(admin_user)
    entry = AuditEntry.objects.get(action="eligibility.policy_version.changed")
    assert (entry.object_id, entry.actor_name) == (str(closed.pk), admin_user.username)
    assert entry.before["effective_to"] is None and entry.after["effective_to"] == "2026-12-31"
    assert entry.after["rates"]["INPATIENT/3"] == ["900.00", "80.00"]
    version = policies.create_policy_version(actor=admin_user, **new_terms())
    created = AuditEntry.objects.get(action="eligibility.policy_version.created")
    assert created.object_id == str(version.pk) and created.before is None
    assert created.after["annual_cap"] == "320000.00" and created.after["rates"]["INPATIENT/1"] == ["1000.00", "75"]


def test_changing_rates_replaces_the_table_and_bumps_the_version(admin_user):
    version = demo()
    rates = policies.rate_table(version)
    rates[(INPATIENT, 3)] = (D("1000.00"), D("78.00"))
    changed = policies.change_policy_version(actor=admin_user, policy=version, changes={}, rates=rates,
                                             expected_version=1)
    assert changed.version == 2 and version.version == 2
    assert PolicyRate.objects.get(policy=version, visit_type=INPATIENT, hospital_level=3).ratio_percent == D("78.00")
    with pytest.raises(ConcurrentEdit):
        policies.change_policy_version(actor=admin_user, policy=version, changes={"name": "x"}, expected_version=1)


def test_a_change_that_changes_nothing_writes_no_audit_entry(admin_user):
    policies.change_policy_version(actor=admin_user, policy=demo(), changes={"name": demo().name})
    assert not AuditEntry.objects.filter(action="eligibility.policy_version.changed").exists()


def test_only_an_administrator_may_change_policies(clerk, reviewer):
    for user in (clerk, reviewer):
        with pytest.raises(PermissionDenied):
            policies.change_policy_version(actor=user, policy=demo(), changes={"annual_cap": D("1")})
        with pytest.raises(PermissionDenied):
            policies.create_policy_version(actor=user, **new_terms())
    assert demo().annual_cap == D("300000.00")


@pytest.mark.parametrize("bad, code", [
    ({"rates": {}}, "policy_rates_invalid"),
    ({"rates": {**new_terms()["rates"], (INPATIENT, 1): (D("-1"), D("80"))}}, "policy_rates_invalid"),
    ({"rates": {**new_terms()["rates"], (INPATIENT, 1): (D("100"), D("101"))}}, "policy_rates_invalid"),
    ({"effective_to": date(2026, 1, 1)}, "invalid"),
    ({"large_expense_cap": None}, "invalid"),
    ({"class_b_first_share_percent": D("120")}, "invalid"),
    ({"annual_cap": D("-1")}, "invalid"),
])
def test_invalid_terms_are_refused_before_anything_is_written(admin_user, bad, code):
    with pytest.raises(ValidationFailed) as refused:
        policies.create_policy_version(actor=admin_user, **new_terms(**bad))
    assert refused.value.code == code
    assert refused.value.errors
    assert PolicyVersion.objects.count() == 2


@pytest.fixture
def paid_under_demo(admin_user):
    person = PersonFactory(insurance_type="EMP")
    record_fund_payments(actor=admin_user, payments=[Payment(
        person_id=person.pk, service_date=date(2026, 3, 10), source_type="CLAIM", source_id=101,
        policy_version_id=demo().pk, fund_amount=D("4720.00"), large_expense_amount=D("0.00"))])
    return person


def test_a_version_used_by_the_ledger_keeps_its_terms_and_rates(admin_user, paid_under_demo, english):
    with pytest.raises(Conflict) as refused:
        policies.change_policy_version(actor=admin_user, policy=demo(), changes={"annual_cap": D("350000.00")})
    assert refused.value.code == "policy_in_use"
    assert "add a new version" in str(refused.value.message)
    rates = {**policies.rate_table(demo()), (INPATIENT, 3): (D("900.00"), D("85.00"))}
    with pytest.raises(Conflict):
        policies.change_policy_version(actor=admin_user, policy=demo(), changes={}, rates=rates)
    with pytest.raises(Conflict, match="2026-03-10"):
        close_demo(admin_user, last_day=date(2026, 3, 9))
    renamed = policies.change_policy_version(actor=admin_user, policy=demo(), changes={"name": "改名"})
    assert renamed.name == "改名" and demo().annual_cap == D("300000.00")


def test_a_new_version_never_changes_a_result_already_stored(admin_user, paid_under_demo):
    stored = FundPayment.objects.get(source_type="CLAIM", source_id=101)
    close_demo(admin_user, last_day=date(2026, 6, 30))
    new = policies.create_policy_version(actor=admin_user, **new_terms(effective_from=date(2026, 7, 1)))
    again = FundPayment.objects.get(pk=stored.pk)
    assert (again.policy_version_id, again.fund_amount, again.large_expense_amount) == (
        demo().pk, D("4720.00"), D("0.00"))
    # The old claim's service date still finds the old version; the new one applies after.
    assert policy_in_force(insurance_type="EMP", on=stored.service_date).pk == demo().pk
    assert policy_in_force(insurance_type="EMP", on=date(2026, 7, 1)).pk == new.pk
    with pytest.raises(IntegrityError):
        PolicyVersion.objects.filter(pk=demo().pk).delete()


# -- the admin ------------------------------------------------------------------------------------

def _form_data(version: PolicyVersion | None = None, **overrides) -> dict:
    terms = new_terms()
    rates = terms.pop("rates")
    if version is not None:
        terms = {f: getattr(version, f) for f in policies.FIELDS if f != "note"}
        rates = policies.rate_table(version)
    data = {k: ("" if v is None else str(v)) for k, v in terms.items()}
    data["note"] = ""
    for (visit_type, level), (deductible, ratio) in rates.items():
        data[f"rate_{visit_type}_{level}_deductible"] = str(deductible)
        data[f"rate_{visit_type}_{level}_ratio"] = str(ratio)
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def test_the_admin_refuses_an_overlapping_version_naming_it(client_for, admin_user, english_pages):
    response = client_for(admin_user).post("/admin/eligibility/policyversion/add/",
                                           _form_data(effective_from="2025-01-01"))
    assert response.status_code == 200
    assert "示范市职工基本医疗保险 2020 (EMP, 2020-01-01 – no end)" in response.content.decode()
    assert PolicyVersion.objects.count() == 2


def test_the_admin_adds_a_version_with_its_rates_through_the_service(client_for, admin_user):
    close_demo(admin_user)
    response = client_for(admin_user).post("/admin/eligibility/policyversion/add/", _form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    version = PolicyVersion.objects.get(effective_from=date(2027, 1, 1))
    assert policies.rate_table(version)[(INPATIENT, 1)] == (D("1000.00"), D("75.00"))
    assert AuditEntry.objects.filter(action="eligibility.policy_version.created", object_id=str(version.pk)).exists()


def test_the_admin_change_page_shows_the_rate_grid_and_saves_a_change_audited(client_for, admin_user):
    client = client_for(admin_user)
    url = f"/admin/eligibility/policyversion/{demo().pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="rate_INPATIENT_3_ratio"' in page.content.decode()
    assert 'value="80.00"' in page.content.decode()
    response = client.post(url, _form_data(demo(), effective_to="2026-12-31"))
    assert response.status_code == 302
    assert demo().effective_to == date(2026, 12, 31)
    assert AuditEntry.objects.filter(action="eligibility.policy_version.changed").count() == 1


def test_the_admin_refuses_to_change_the_terms_of_a_used_version(client_for, admin_user, paid_under_demo,
                                                                  english_pages):
    url = f"/admin/eligibility/policyversion/{demo().pk}/change/"
    response = client_for(admin_user).post(url, _form_data(demo(), annual_cap="350000.00"))
    assert response.status_code == 200
    assert "its terms and rates can no longer change" in response.content.decode()
    assert demo().annual_cap == D("300000.00")


def test_the_admin_offers_no_deletion_of_versions(client_for, admin_user):
    response = client_for(admin_user).get(f"/admin/eligibility/policyversion/{demo().pk}/delete/")
    assert response.status_code == 403


def test_moving_a_version_onto_another_is_refused_naming_it(admin_user, english):
    close_demo(admin_user)
    version = policies.create_policy_version(actor=admin_user, **new_terms())
    with pytest.raises(ValidationFailed, match="示范市职工基本医疗保险 2020 \\(EMP, 2020-01-01 – 2026-12-31\\)"):
        policies.change_policy_version(actor=admin_user, policy=version, changes={"effective_from": date(2026, 12, 1)})
    assert PolicyVersion.objects.get(pk=version.pk).effective_from == date(2027, 1, 1)


def test_the_policy_book_reads_every_version_in_two_queries(admin_user, django_assert_num_queries):
    close_demo(admin_user)
    policies.create_policy_version(actor=admin_user, **new_terms())
    with django_assert_num_queries(2):
        book = policy_book()
    assert book.on("EMP", date(2027, 1, 1)).annual_cap == D("320000.00")
