"""GET /api/v1/eligibility/coverage/ (spec/claims-upload.md)."""

from datetime import date

import psycopg
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.locks import AUDIT_CHAIN
from core.providers import grant_provider_access
from core.roles import Role
from eligibility.models import CoverageLookup, Registration
from eligibility.services.registrations import create_registration, record_referral_use
from enrollment.models import StatusChange
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/api/v1/eligibility/coverage/"
Kind = Registration.Kind


@pytest.fixture
def hospital(providers, provider_user, admin_user):
    """The provider user's token, for the out-of-area hospital H11010001 (level 3)."""
    grant_provider_access(user=provider_user, provider=providers["H11010001"], actor=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=provider_user).key}")
    return client


def ask(client, person_or_number, on="2026-06-15", visit_type="INPATIENT", **extra):
    number = getattr(person_or_number, "id_number", person_or_number)
    return client.get(URL, {"id_number": number, "date": on, "visit_type": visit_type, **extra})


def _status(person, status, on):
    StatusChange.objects.create(person=person, status=status, status_date=on, source=StatusChange.Source.LOAD)


def _register(person, kind, number, **values):
    return create_registration(actor=None, person=person, kind=kind, number=number,
                               source=Registration.Source.DEMO, **values)


def test_a_covered_person(hospital):
    person = PersonFactory(insurance_type="EMP", status_date=date(2020, 1, 1))
    body = ask(hospital, person).json()
    assert body["covered"] is True and body["measures"] == [] and "reason" not in body
    assert body["policy"]["insurance_type"] == "EMP" and body["policy"]["effective_from"] == "2020-01-01"
    benefits = body["benefits"]
    assert benefits["provider"] == {"code": "H11010001", "name": "北京协和医院", "level": 3, "area": "OUT"}
    assert (benefits["deductible"], benefits["base_ratio_percent"], benefits["ratio_percent"]) == (
        "900.00", "80.00", "70.00")  # out of area, level 3, no referral: 10 points less
    assert benefits["adjustments"] == ["OUT_OF_AREA_NO_REFERRAL"] and "10" in benefits["explanation"]
    assert (benefits["fund_cap_remaining"], benefits["large_expense_cap_remaining"]) == ("300000.00", "400000.00")
    assert [k for k, v in body.items() if isinstance(v, bool)] == ["covered"]


def _staff(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(("code", "visit_type", "deductible", "ratio"), [
    ("H32010001", "INPATIENT", "900.00", "80.00"),  # local, level 3
    ("H32010003", "INPATIENT", "300.00", "90.00"),  # local, level 1
    ("H11010003", "INPATIENT", "300.00", "0.00"),  # out of area, level 1, no referral: not payable
    ("H32010001", "OUTPATIENT", "0.00", "50.00"),
    ("H32010001", "OUTPATIENT_SPECIAL", "0.00", "50.00"),  # no registration: rated as general outpatient
])
def test_office_staff_ask_at_a_named_provider(clerk, providers, code, visit_type, deductible, ratio):
    person = PersonFactory(insurance_type="EMP")
    benefits = ask(_staff(clerk), person, visit_type=visit_type, provider_code=code).json()["benefits"]
    assert (benefits["provider"]["code"], benefits["deductible"], benefits["ratio_percent"]) == (code, deductible, ratio)


def test_office_staff_without_a_provider_get_no_rate_and_an_unknown_code_is_a_400(clerk, providers):
    person = PersonFactory()
    benefits = ask(_staff(clerk), person).json()["benefits"]
    assert benefits["provider"] is None and benefits["deductible"] is None and benefits["ratio_percent"] is None
    response = ask(_staff(clerk), person, provider_code="H404")
    assert response.status_code == 400 and response.json()["code"] == "invalid_provider_code"


def test_a_registered_special_disease_takes_its_ratio_for_a_listed_diagnosis(clerk, providers):
    person = PersonFactory(insurance_type="RES")
    _register(person, Kind.SPECIAL_DISEASE, "M-1", approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
              diagnosis_categories=["E11"])
    client = _staff(clerk)
    listed = ask(client, person, visit_type="OUTPATIENT_SPECIAL", provider_code="H32010001", diagnosis_code="e11.9")
    other = ask(client, person, visit_type="OUTPATIENT_SPECIAL", provider_code="H32010001", diagnosis_code="I10")
    assert (listed.json()["benefits"]["rated_as"], listed.json()["benefits"]["ratio_percent"]) == (
        "OUTPATIENT_SPECIAL", "70.00")
    assert (other.json()["benefits"]["rated_as"], other.json()["benefits"]["ratio_percent"]) == ("OUTPATIENT", "50.00")
    assert listed.json()["benefits"]["large_expense_cap_remaining"] is None  # RES has no tier


def test_no_policy_in_force_leaves_the_person_covered_without_a_rate(hospital):
    person = PersonFactory(status_date=date(2010, 1, 1))
    body = ask(hospital, person, on="2019-06-01").json()
    assert body["covered"] is True and body["policy"] is None and body["benefits"]["ratio_percent"] is None


def test_a_person_suspended_on_the_date_is_not_covered_and_is_again_once_active(hospital):
    person = PersonFactory(status_date=date(2020, 1, 1))
    _status(person, "SUSPENDED", date(2026, 3, 1))
    _status(person, "ACTIVE", date(2026, 7, 1))
    body = ask(hospital, person, on="2026-06-30").json()
    assert body["covered"] is False and body["benefits"] is None
    assert body["reason"]["code"] == "not_active" and body["reason"]["status"] == "SUSPENDED"
    assert ask(hospital, person, on="2026-07-01").json()["covered"] is True
    assert ask(hospital, person, on="2026-02-28").json()["covered"] is True


def test_a_person_whose_first_status_starts_after_the_date_is_not_covered(hospital):
    person = PersonFactory(status_date=date(2026, 7, 1))
    body = ask(hospital, person, on="2026-06-30").json()
    assert body["covered"] is False and body["reason"]["code"] == "not_yet_insured"
    assert ask(hospital, person, on="2026-07-01").json()["covered"] is True


def test_an_unknown_person_is_not_registered(hospital):
    body = ask(hospital, "11010519491231002X").json()
    assert body == {"covered": False, "policy": None, "measures": [], "reason": {
        "code": "not_registered", "message": "参保登记中没有此身份证号码的参保人。"},
        "benefits": None}


@pytest.mark.parametrize("measure", ["SETTLEMENT_METHOD", "RESTRICTED_PROVIDERS", "MONITORING"])
def test_a_penalised_person_stays_covered_and_the_measure_is_listed(hospital, measure):
    person = PersonFactory()
    _register(person, Kind.PENALTY, "P-1", approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
              valid_to=date(2026, 12, 31), measure=measure,
              provider_codes=["H32010001"] if measure == "RESTRICTED_PROVIDERS" else [])
    body = ask(hospital, person).json()
    assert body["covered"] is True
    assert body["measures"] == [{"code": measure, "valid_to": "2026-12-31"}]
    assert ask(hospital, person, on="2027-01-01").json()["measures"] == []


def test_a_valid_referral_to_the_asking_provider_is_listed_and_takes_five_points(hospital):
    person = PersonFactory(insurance_type="EMP")
    _register(person, Kind.REFERRAL, "Z-1", approved_on=date(2026, 5, 1), provider_codes=["H11010001", "H11010002"])
    _register(person, Kind.REFERRAL, "Z-2", approved_on=date(2026, 5, 1), provider_codes=["H31010001"])
    benefits = ask(hospital, person).json()["benefits"]
    assert (benefits["ratio_percent"], benefits["adjustments"]) == ("75.00", ["OUT_OF_AREA_REFERRAL"])
    assert ask(hospital, person, emergency="1").json()["benefits"]["ratio_percent"] == "80.00"
    referrals = benefits["referrals"]
    assert [(r["number"], r["applies_here"], r["begin_by"], r["follow_up_until"]) for r in referrals] == [
        ("Z-1", True, "2026-08-01", "2027-05-01"), ("Z-2", False, "2026-08-01", "2027-05-01")]
    assert ask(hospital, person, on="2026-08-02").json()["benefits"]["referrals"] == []


def test_a_referral_used_in_time_covers_follow_ups_within_the_year(hospital):
    person = PersonFactory()
    referral = _register(person, Kind.REFERRAL, "Z-1", approved_on=date(2026, 5, 1), provider_codes=["H11010001"])
    record_referral_use(actor=None, registration=referral, used_on=date(2026, 6, 1))
    assert [r["number"] for r in ask(hospital, person, on="2027-05-01").json()["benefits"]["referrals"]] == ["Z-1"]


def test_residence_elsewhere_at_a_chosen_provider_applies_there_without_adjustment(hospital):
    person = PersonFactory(insurance_type="EMP")
    _register(person, Kind.RESIDENCE_ELSEWHERE, "R-1", approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
              provider_codes=["H11010001"])
    benefits = ask(hospital, person).json()["benefits"]
    assert (benefits["ratio_percent"], benefits["adjustments"]) == ("80.00", ["OUT_OF_AREA_CHOSEN_PROVIDER"])
    residence = benefits["residence_elsewhere"]
    assert [(r["number"], r["applies_here"]) for r in residence] == [("R-1", True)]


@pytest.mark.parametrize(("params", "code", "columns"), [
    ({"date": "2026-06-15", "visit_type": "INPATIENT"}, "invalid_id_number", ["id_number"]),
    ({"id_number": "110105194912310021", "date": "2026-06-15", "visit_type": "INPATIENT"}, "invalid_id_number",
     ["id_number"]),
    ({"id_number": "11010519491231002X", "visit_type": "INPATIENT"}, "invalid_date", ["date"]),
    ({"id_number": "11010519491231002X", "date": "2026-02-30", "visit_type": "INPATIENT"}, "invalid_date", ["date"]),
    ({"id_number": "11010519491231002X", "date": "2026-06-15"}, "invalid_visit_type", ["visit_type"]),
    ({"id_number": "11010519491231002X", "date": "2026-06-15", "visit_type": "DENTAL"}, "invalid_visit_type",
     ["visit_type"]),
    ({"id_number": "x", "date": "15/06/2026", "visit_type": "?", "emergency": "yes"}, "invalid_id_number",
     ["id_number", "date", "visit_type", "emergency"]),
])
def test_a_missing_or_malformed_parameter_is_a_400_with_its_code(hospital, params, code, columns):
    response = hospital.get(URL, params)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert [e["column"] for e in response.json()["errors"]] == columns
    assert not CoverageLookup.objects.exists()


def test_no_token_is_a_401():
    response = APIClient().get(URL, {"id_number": "11010519491231002X", "date": "2026-06-15",
                                     "visit_type": "INPATIENT"})
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("persona", "status"), [
    ("provider", 200), ("clerk", 200), ("reviewer", 200), ("senior_reviewer", 200), ("settlement_auditor", 200),
    ("supervisor", 200), ("admin", 200), ("anonymous", 401), ("nobody", 403), ("provider_without_provider", 403),
])
def test_the_permission_matrix(personas, make_user, providers, admin_user, persona, status):
    person = PersonFactory()
    client = APIClient()
    if persona == "provider":
        grant_provider_access(user=personas["provider"], provider=providers["H32010001"], actor=admin_user)
    if persona == "nobody":
        client.force_authenticate(make_user("nobody"))
    elif persona == "provider_without_provider":
        client.force_authenticate(make_user("orphan_provider", Role.PROVIDER))
    elif persona != "anonymous":
        client.force_authenticate(personas[persona])
    assert ask(client, person).status_code == status


def test_every_lookup_is_logged_with_who_asked_and_the_answer(hospital, provider_user, clerk):
    person = PersonFactory()
    ask(hospital, person)
    ask(hospital, "11010519491231002X")
    staff = APIClient()
    staff.force_authenticate(clerk)
    ask(staff, person, on="2019-01-01", visit_type="OUTPATIENT")
    rows = list(CoverageLookup.objects.order_by("id").values_list(
        "username", "provider_code", "person_id", "id_number", "on_date", "visit_type", "covered", "reason"))
    assert rows == [
        (provider_user.username, "H11010001", person.pk, person.id_number, date(2026, 6, 15), "INPATIENT", True, ""),
        (provider_user.username, "H11010001", None, "11010519491231002X", date(2026, 6, 15), "INPATIENT", False,
         "not_registered"),
        (clerk.username, "", person.pk, person.id_number, date(2019, 1, 1), "OUTPATIENT", False, "not_yet_insured"),
    ]
    assert CoverageLookup.objects.first().answer["covered"] is True


def test_the_log_refuses_changes():
    from django.db import DatabaseError, transaction

    lookup = CoverageLookup.objects.create(username="x", id_number="1", on_date=date(2026, 1, 1), visit_type="X",
                                           covered=False, answer={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CoverageLookup.objects.filter(pk=lookup.pk).update(covered=True)


def test_a_lookup_does_not_wait_for_the_audit_chain_lock(clerk):
    """Another session holds the audit chain's lock: the lookup still answers at once. (Nothing in
    this test writes an audit entry first, or its transaction would hold the lock itself.)"""
    person = PersonFactory()
    client = APIClient()
    client.force_authenticate(clerk)
    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"], password=settings["PASSWORD"] or None,
                         host=settings["HOST"] or None, port=settings["PORT"] or None, autocommit=True) as other:
        other.execute("SET lock_timeout = '5s'")
        other.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [AUDIT_CHAIN])
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '2s'")
        try:
            assert ask(client, person).status_code == 200
        finally:
            with connection.cursor() as cur:
                cur.execute("SET lock_timeout = 0")
    assert CoverageLookup.objects.filter(person=person).count() == 1


def test_the_query_count_does_not_grow_with_the_persons_history(hospital, django_assert_max_num_queries):
    small, large = PersonFactory(), PersonFactory()
    for i in range(30):
        _status(large, "ACTIVE" if i % 2 else "SUSPENDED", date(2021, 1, 1 + i))
        _register(large, Kind.PENALTY, f"P-{i}", approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
                  measure="MONITORING")
        _register(large, Kind.REFERRAL, f"Z-{i}", approved_on=date(2026, 5, 1), provider_codes=["H11010001"])
    ask(hospital, small)  # warm the caches of the first request (content types, permissions)
    with django_assert_max_num_queries(3) as small_queries:  # the token with its user, the answer, the log
        ask(hospital, small)
    with django_assert_max_num_queries(len(small_queries.captured_queries)):
        body = ask(hospital, large).json()
    assert len(body["measures"]) == 30 and len(body["benefits"]["referrals"]) == 30


def test_a_new_policy_version_is_answered_at_once(clerk, admin_user, providers):
    """The check keeps the policies in memory between lookups: a change of the versions is seen on the next one."""
    from decimal import Decimal

    from eligibility.models import PolicyVersion
    from eligibility.services.policies import RATE_KEYS, change_policy_version, create_policy_version

    person = PersonFactory(insurance_type="EMP")
    client = _staff(clerk)
    assert ask(client, person, on="2027-02-01", provider_code="H32010001").json()["benefits"]["deductible"] == "900.00"
    demo = PolicyVersion.objects.get(insurance_type="EMP")
    change_policy_version(actor=admin_user, policy=demo, changes={"effective_to": date(2026, 12, 31)})
    create_policy_version(
        actor=admin_user, insurance_type="EMP", name="2027", effective_from=date(2027, 1, 1),
        annual_cap=Decimal(320000), class_b_first_share_percent=Decimal(10), referral_adjustment_points=Decimal(5),
        out_of_area_adjustment_points=Decimal(10), large_expense_ratio_percent=Decimal(90),
        large_expense_cap=Decimal(400000), rates={key: (Decimal(1000), Decimal(85)) for key in RATE_KEYS})
    body = ask(client, person, on="2027-02-01", provider_code="H32010001").json()
    assert body["policy"]["name"] == "2027" and body["benefits"]["deductible"] == "1000.00"
    assert ask(client, person, on="2026-12-31", provider_code="H32010001").json()["benefits"]["deductible"] == "900.00"
