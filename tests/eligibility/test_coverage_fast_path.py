"""The coverage check's fast path: its one statement agrees with the ORM's selectors, its rendering with
CoverageSerializer, its one-query token authentication with DRF's, and its log's INSERT commits."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.providers import grant_provider_access, revoke_provider_access
from core.roles import Role
from eligibility.api.coverage import CoverageSerializer, render_answer
from eligibility.models import CoverageLookup, Registration
from eligibility.selectors.coverage import CoverageQuery, coverage_answer, person_on
from eligibility.selectors.registrations import registrations_valid_on
from eligibility.services.registrations import create_registration, record_referral_use
from enrollment.models import StatusChange
from enrollment.selectors import persons_with_status_on
from tests.factories import PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/api/v1/eligibility/coverage/"
Kind = Registration.Kind


def _register(person, kind, number, **values):
    return create_registration(actor=None, person=person, kind=kind, number=number,
                               source=Registration.Source.DEMO, **values)


@pytest.fixture
def history():
    """A person with a status history and registrations of every kind at their windows' edges."""
    person = PersonFactory(status_date=date(2020, 1, 1))
    for status, day in [("SUSPENDED", date(2026, 3, 1)), ("ACTIVE", date(2026, 7, 1)), ("SUSPENDED", date(2026, 7, 1))]:
        StatusChange.objects.create(person=person, status=status, status_date=day, source=StatusChange.Source.LOAD)
    _register(person, Kind.PENALTY, "P-1", approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
              valid_to=date(2026, 6, 30), measure="MONITORING")
    _register(person, Kind.PENALTY, "P-2", approved_on=date(2026, 1, 1), valid_from=date(2026, 7, 1),
              measure="SETTLEMENT_METHOD")
    _register(person, Kind.REFERRAL, "Z-1", approved_on=date(2025, 11, 30), provider_codes=["H11010001"])
    used = _register(person, Kind.REFERRAL, "Z-2", approved_on=date(2026, 1, 31), provider_codes=["H11010001"])
    record_referral_use(actor=None, registration=used, used_on=date(2026, 4, 1))
    _register(person, Kind.RESIDENCE_ELSEWHERE, "R-1", approved_on=date(2026, 1, 1), valid_from=date(2026, 2, 1),
              valid_to=date(2026, 2, 28), provider_codes=["H11010001", "H11010002"])
    _register(person, Kind.SPECIAL_DISEASE, "M-1", approved_on=date(2026, 1, 1), valid_from=date(2026, 1, 1),
              diagnosis_categories=["E11", "I10"])
    revoked = _register(person, Kind.SPECIAL_DISEASE, "M-2", approved_on=date(2026, 1, 1),
                        valid_from=date(2026, 1, 1), diagnosis_categories=["C50"])
    Registration.objects.filter(pk=revoked.pk).update(status="REVOKED")
    return person


DAYS = [date(2019, 12, 31), date(2020, 1, 1), date(2025, 11, 30), date(2026, 1, 31), date(2026, 2, 28),
        date(2026, 3, 1), date(2026, 4, 30), date(2026, 5, 1), date(2026, 6, 30), date(2026, 7, 1),
        date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 1)]


@pytest.mark.parametrize("day", DAYS)
def test_the_one_statement_reads_what_the_selectors_read(history, day):
    found, stamp = person_on(CoverageQuery(id_number=history.id_number, on=day, visit_type="INPATIENT"))
    assert found.pk == history.pk and found.insurance_type == history.insurance_type and stamp[0] >= 1
    assert found.status_on == persons_with_status_on(day).get(pk=history.pk).status_on
    expected = [(r.kind, r.number, r.measure, r.approved_on, r.valid_from, r.valid_to, r.first_used_on,
                 list(r.provider_codes), list(r.diagnosis_categories))
                for r in registrations_valid_on(history.pk, day)]
    assert [(r.kind, r.number, r.measure, r.approved_on, r.valid_from, r.valid_to, r.first_used_on,
             r.provider_codes, r.diagnosis_categories) for r in found.registrations] == expected


def test_the_one_statement_reads_the_years_payments(history):
    from eligibility.selectors.ledger import year_to_date

    found, _ = person_on(CoverageQuery(id_number=history.id_number, on=date(2026, 6, 1), visit_type="INPATIENT"))
    assert found.year_to_date == year_to_date(person_id=history.pk, year=2026)
    assert person_on(CoverageQuery(id_number="11010519491231002X", on=date(2026, 6, 1),
                                   visit_type="INPATIENT")) == (None, None)


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("visit_type", ["INPATIENT", "OUTPATIENT_SPECIAL"])
def test_the_answer_renders_as_the_serializer_does(history, providers, day, visit_type):
    query = CoverageQuery(id_number=history.id_number, on=day, visit_type=visit_type, diagnosis_code="E11.9")
    for provider in (providers["H11010001"], None):
        body = coverage_answer(query, provider).body
        assert render_answer(body) == CoverageSerializer(body).data
    unknown = coverage_answer(CoverageQuery(id_number="11010519491231002X", on=day, visit_type=visit_type), None)
    assert render_answer(unknown.body) == CoverageSerializer(unknown.body).data


def _token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _ask(client):
    return client.get(URL, {"id_number": "11010519491231002X", "date": "2026-06-15", "visit_type": "INPATIENT"})


def test_a_token_reads_its_user_roles_and_provider_in_one_query_and_nothing_is_kept(
        provider_user, providers, admin_user, django_assert_max_num_queries):
    grant_provider_access(user=provider_user, provider=providers["H11010001"], actor=admin_user)
    client = _token_client(provider_user)
    _ask(client)
    with django_assert_max_num_queries(3):  # the token with its user, roles and provider; the answer; the log
        assert _ask(client).status_code == 200
    assert CoverageLookup.objects.order_by("-id").first().provider_code == "H11010001"
    # A moved grant, a removed role, an inactive user, a deleted token: each counts on the next request.
    revoke_provider_access(user=provider_user, provider=providers["H11010001"], actor=admin_user)
    grant_provider_access(user=provider_user, provider=providers["H32010001"], actor=admin_user)
    assert _ask(client).status_code == 200
    assert CoverageLookup.objects.order_by("-id").first().provider_code == "H32010001"
    provider_user.groups.remove(Group.objects.get(name=Role.PROVIDER.value))
    assert _ask(client).status_code == 403
    provider_user.groups.add(Group.objects.get(name=Role.PROVIDER.value))
    assert _ask(client).status_code == 200
    type(provider_user).objects.filter(pk=provider_user.pk).update(is_active=False)
    response = _ask(client)
    assert response.status_code == 401 and response.json()["message"] == "用户未激活或者已删除。"  # DRF's own
    type(provider_user).objects.filter(pk=provider_user.pk).update(is_active=True)
    Token.objects.filter(user=provider_user).delete()
    assert _ask(client).status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token abc def", "Token nosuchtoken", "Token " + "a" * 41,
                                    "Token abc\x00"])
def test_a_bad_token_is_a_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = _ask(client)
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_superuser_token_is_the_offices_staff(make_user):
    user = make_user("root_token")
    type(user).objects.filter(pk=user.pk).update(is_superuser=True)
    assert _ask(_token_client(user)).status_code == 200
    assert CoverageLookup.objects.get(username="root_token").provider_code == ""


@pytest.mark.django_db(transaction=True)
def test_the_log_outside_a_transaction_commits_and_leaves_the_connection_as_it_was(
        provider_user, providers, admin_user, settings):
    grant_provider_access(user=provider_user, provider=providers["H11010001"], actor=admin_user)
    client = _token_client(provider_user)
    for durable in (False, True):
        settings.COVERAGE_LOG_DURABLE = durable
        assert _ask(client).status_code == 200
    assert CoverageLookup.objects.filter(username=provider_user.username).count() == 2
    with connection.cursor() as cur:
        cur.execute("SHOW synchronous_commit")
        assert cur.fetchone()[0] == "on"
    assert connection.get_autocommit() and not connection.in_atomic_block


def _prepared_statements() -> dict[str, int]:
    """The statements prepared on this connection, by the table each reads first: how often each ran."""
    with connection.cursor() as cur:
        cur.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        rows = cur.fetchall()
    tables = ("authtoken_token", "enrollment_person", "eligibility_coveragelookup")
    return {next((t for t in tables if t in statement), statement): runs for statement, runs in rows}


def test_the_token_and_the_answer_are_prepared_once_per_connection_and_still_counted(
        provider_user, providers, admin_user, django_assert_num_queries):
    grant_provider_access(user=provider_user, provider=providers["H11010001"], actor=admin_user)
    client = _token_client(provider_user)
    assert _ask(client).status_code == 200
    before = _prepared_statements()
    with django_assert_num_queries(3 * 3):  # the query log still sees the prepared statements
        for _ in range(3):
            assert _ask(client).status_code == 200
    after = _prepared_statements()
    # The same two statements ran again (no new preparation); Django's own cursors prepare nothing (the log).
    assert set(after) == set(before) == {"authtoken_token", "enrollment_person"}
    assert after == {table: runs + 3 for table, runs in before.items()}
    assert CoverageLookup.objects.filter(username=provider_user.username).count() == 4


def test_a_prepared_statement_outlives_a_rolled_back_transaction(provider_user, providers, admin_user):
    """psycopg forgets its prepared statements on a rollback (and deallocates them); the next request
    prepares them again instead of naming one that is gone."""
    from django.db import transaction

    grant_provider_access(user=provider_user, provider=providers["H11010001"], actor=admin_user)
    client = _token_client(provider_user)
    for _ in range(2):
        try:
            with transaction.atomic():
                assert _ask(client).status_code == 200
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert _ask(client).status_code == 200
    assert set(_prepared_statements()) == {"authtoken_token", "enrollment_person"}
