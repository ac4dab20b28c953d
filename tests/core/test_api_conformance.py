"""Schemathesis against the API's own schema (the one /api/schema/ serves), as each role.

For every operation and every persona (token authentication), schemathesis generates requests
from the schema (its examples and fuzzing phases, valid and invalid data) and checks
that no answer is a server error and that each answer's status, content type and body are the
ones the schema documents. Each path is also called with the ids of real objects (an application
with a letter, a person, an employer, an audit entry), so that the answers for existing objects
are checked too. Every request runs in a savepoint that is rolled back.

Bounded for the suite (API_FUZZ_EXAMPLES, default 5 generated cases per operation, no coverage
phase); `make check-api` runs it with many more and the coverage phase.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "5"))
# The coverage phase (every boundary and invalid value of every parameter: some 2,000 requests a
# role) runs in `make check-api`; the suite runs the examples and the fuzzing phases.
COVERAGE = os.environ.get("API_FUZZ_COVERAGE", "0") == "1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ["clerk", "reviewer", "senior_reviewer", "settlement_auditor", "supervisor", "provider", "admin"]


def served_schema(language: str = "en") -> dict:
    """The schema /api/schema/ serves (the same generator and settings), as JSON."""
    from django.utils import translation
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    with translation.override(language):
        return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(served_schema(), config=schemathesis.Config.from_dict({
    "generation": {"max-examples": EXAMPLES, "database": "none"},
    "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": COVERAGE}},
}))


@pytest.fixture
def wsgi_app():
    """The site's WSGI application, without closing the test's database connection after each request."""
    from config.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


PERSONA_FIXTURES = {"clerk": "clerk", "reviewer": "reviewer", "senior_reviewer": "senior",
                    "settlement_auditor": "auditor", "supervisor": "supervisor", "provider": "provider_user",
                    "admin": "admin_user"}


@pytest.fixture(params=ROLES)
def caller(request, db):
    """A persona's token header (tests/conftest.py's personas), one run per role."""
    user = request.getfixturevalue(PERSONA_FIXTURES[request.param])
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


@pytest.fixture
def real_ids(request):
    """ids_for(path): the ids of existing objects for a path's parameters, made on first use."""
    from core.models import AuditEntry
    from enrollment.models import Application
    from enrollment.selectors.applications import application_letters
    from tests.enrollment.test_applications import add_persons, take_to
    from tests.factories import PersonFactory

    def ids_for(path: str) -> dict:
        clerk, employer = request.getfixturevalue("clerk"), request.getfixturevalue("employer")
        if path.startswith("/api/v1/enrollment/applications/"):
            app = add_persons(clerk, employer)
            if "{letter_pk}" not in path:
                return {"id": app.pk}
            take_to(app, Application.Status.INCOMPLETE, clerk=clerk, reviewer=request.getfixturevalue("reviewer"))
            return {"id": app.pk, "letter_pk": application_letters(app).first().pk}
        if path.startswith("/api/v1/enrollment/persons/"):
            return {"id": PersonFactory(employer_code=employer.uscc).pk}
        if path.startswith("/api/v1/enrollment/employers/"):
            return {"id": employer.pk}
        if path.startswith("/api/v1/settlement/batches/"):
            return {"id": _claim_batch(request.getfixturevalue("provider_user")).pk}
        if path.startswith("/api/v1/core/audit-entries/"):
            add_persons(clerk, employer)
            return {"seq": AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]}
        raise AssertionError(f"No real object for {path}: add one here.")

    made = {}
    return lambda path: made[path] if path in made else made.setdefault(path, ids_for(path))


def _claim_batch(provider_user):
    """A checked batch of the provider persona's provider, with one claim."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.providers import grant_provider_access
    from settlement.services import check_batch, upload_batch
    from tests.factories import ProviderFactory
    from tests.settlement.files import csv_bytes, line

    grant_provider_access(user=provider_user, provider=ProviderFactory(), actor=None)
    batch = upload_batch(actor=provider_user, file=SimpleUploadedFile("c.csv", csv_bytes([line()])), period="2026-10")
    return check_batch(batch=batch)


def _call(case, caller, app):
    with transaction.atomic():
        response = case.call(headers=caller, app=app)
        transaction.set_rollback(True)
    return response


@pytest.mark.django_db
@schema.parametrize()
# The suite's run is the same every time; `make check-api` explores new cases on each run.
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=not COVERAGE)
def test_every_answer_is_documented_and_none_is_a_server_error(case, caller, wsgi_app, real_ids):
    case.validate_response(_call(case, caller, wsgi_app), checks=CHECKS, headers=caller)
    if case.path_parameters:
        case.path_parameters = {**case.path_parameters, **real_ids(case.operation.path)}
        case.validate_response(_call(case, caller, wsgi_app), checks=CHECKS, headers=caller)


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_one_served(supervisor):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(supervisor)
    served = client.get("/api/schema/?format=json", HTTP_COOKIE="django_language=en")
    assert served.status_code == 200
    assert json.loads(served.content) == served_schema("en")
