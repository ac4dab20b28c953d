"""The API: 401 without (good) credentials, 403 for the wrong role, 200 otherwise; the error format;
the core endpoints; and a schema that generates without warnings."""

import pytest
import yaml
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core.api import exception_handler
from core.audit import record
from core.errors import Conflict, ValidationFailed
from core.workflow import transition
from supervision.models import Problem
from supervision.services import report_problem

pytestmark = pytest.mark.django_db

WHOAMI = "/api/v1/core/whoami/"
AUDIT = "/api/v1/core/audit-entries/"


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize("url", [WHOAMI, AUDIT, "/api/schema/"])
def test_no_credentials_is_401_with_the_error_format(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.data["code"] == "not_authenticated"
    assert response.data["message"]


@pytest.mark.parametrize("url", [WHOAMI, AUDIT])
def test_a_bad_token_is_401(url, supervisor):
    Token.objects.create(user=supervisor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get(url)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("role, status", [
    ("clerk", 403), ("reviewer", 403), ("senior_reviewer", 403), ("settlement_auditor", 403), ("provider", 403),
    ("supervisor", 200), ("admin", 200),
])
def test_the_audit_trail_is_for_supervisors_and_admins(personas, role, status):
    response = _token_client(personas[role]).get(AUDIT)
    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"


def test_whoami_answers_any_authenticated_user_with_roles(clerk, client_for):
    body = _token_client(clerk).get(WHOAMI).json()
    assert body == {"username": "alice_clerk", "full_name": "王芳", "roles": ["clerk"]}
    # The browser session works as well as a token.
    assert client_for(clerk).get(WHOAMI).json()["username"] == "alice_clerk"


@pytest.fixture
def trail(supervisor, clerk):
    for n in range(30):
        report_problem(source_key=f"test:api{n}", source_app="core", category="test", title=f"接口 {n}",
                       actor=supervisor if n % 2 else None)
    with transaction.atomic():
        record(clerk, "core.test.noted", ("core.test", "42", "a note"), None, {"n": 42})
    return supervisor


def test_the_audit_trail_lists_newest_first_in_pages(trail, django_assert_max_num_queries):
    client = _token_client(trail)
    with django_assert_max_num_queries(4):
        body = client.get(AUDIT, {"page_size": 10}).json()
    assert body["count"] == 31
    assert len(body["results"]) == 10
    assert body["next"] and body["previous"] is None
    seqs = [e["seq"] for e in body["results"]]
    assert seqs == sorted(seqs, reverse=True)
    first = body["results"][0]
    assert first["action"] == "core.test.noted"
    assert set(first) >= {"seq", "at", "actor_name", "action", "object_type", "object_id", "before", "after", "hash"}
    with django_assert_max_num_queries(4):
        assert len(client.get(AUDIT, {"page_size": 100}).json()["results"]) == 31


@pytest.mark.parametrize("query, count", [
    ({"action": "core.test.noted"}, 1),
    ({"action": "supervision.problem.raised"}, 30),
    ({"actor": "alice_clerk"}, 1),
    ({"actor": "frank_supervisor"}, 15),
    ({"actor": "system"}, 15),
    ({"object_type": "core.test", "object_id": "42"}, 1),
    ({"object_type": "supervision.problem", "action": "core.test.noted"}, 0),
    ({"since": "2000-01-01T00:00:00Z"}, 31),
    ({"until": "2000-01-01T00:00:00Z"}, 0),
])
def test_the_audit_trail_filters(trail, query, count):
    assert _token_client(trail).get(AUDIT, query).json()["count"] == count


def test_one_entry_by_its_position_in_the_chain(trail):
    client = _token_client(trail)
    assert client.get(f"{AUDIT}31/").json()["after"] == {"n": 42}
    missing = client.get(f"{AUDIT}999/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert set(missing.json()) == {"code", "message"}


def test_the_audit_trail_is_read_only(trail):
    client = _token_client(trail)
    assert client.post(AUDIT, {"action": "forged"}, format="json").status_code == 405
    assert client.delete(f"{AUDIT}1/").json()["code"] == "method_not_allowed"


def test_a_bad_filter_value_is_400_with_the_field_named(trail):
    response = _token_client(trail).get(AUDIT, {"since": "yesterday"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["message"]
    assert [e["column"] for e in body["errors"]] == ["since"]


def test_an_unknown_api_url_is_404(clerk):
    response = _token_client(clerk).get("/api/v1/core/no-such-thing/")
    assert response.status_code == 404


class _CloseProblem(APIView):
    """A stand-in for any endpoint that calls a service which raises a domain error."""

    def post(self, request, pk):
        problem = Problem.objects.get(pk=pk)
        transition(problem, request.data["to"], actor=request.user)
        return Response(status=204)


def _call(view, user, pk, **data):
    request = APIRequestFactory().post("/api/v1/test/", data, format="json")
    force_authenticate(request, user=user)
    with translation.override("en"):
        return view.as_view()(request, pk=pk)


def test_domain_errors_become_their_status_with_code_and_message(supervisor, clerk):
    problem, _ = report_problem(source_key="test:api-domain", source_app="core", category="test", title="域错误")
    refused = _call(_CloseProblem, supervisor, pk=problem.pk, to=Problem.Status.AWAITING_VERIFICATION)
    assert refused.status_code == 409
    assert refused.data["code"] == "invalid_transition"
    assert "cannot go from" in refused.data["message"]
    wrong_role = _call(_CloseProblem, clerk, pk=problem.pk, to=Problem.Status.CLOSED)
    assert wrong_role.status_code == 403
    assert wrong_role.data["code"] == "permission_denied"


def test_a_rejected_file_lists_each_error_with_its_row_and_column():
    error = ValidationFailed(code="invalid_file", errors=[{"row": 3, "column": "amount", "message": "not a number"}])
    with translation.override("en"):
        response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data == {"code": "invalid_file", "message": "Some of the data is not valid.",
                             "errors": [{"row": 3, "column": "amount", "message": "not a number"}]}
    conflict = exception_handler(Conflict("Claim number 2024-00017 was already uploaded in batch B-31"), {})
    assert conflict.status_code == 409
    assert conflict.data == {"code": "conflict", "message": "Claim number 2024-00017 was already uploaded in batch B-31"}


def test_the_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert {"/api/v1/core/whoami/", "/api/v1/core/audit-entries/"} <= set(schema["paths"])
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_api_docs_load_their_assets_from_this_site(clerk, client_for):
    response = client_for(clerk).get("/api/docs/")
    assert response.status_code == 200
    content = response.content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert f'src="{bundle}"' in content
    assert "cdn." not in content and "unpkg" not in content
    assert client_for(clerk).get(bundle).status_code == 200
