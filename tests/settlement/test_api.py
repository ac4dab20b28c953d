"""The REST API of spec/claims-upload.md: upload, batches, claims, the error report; the permission matrix
(providers A and B, an assigned and an unassigned auditor, a clerk, anonymous); query counts flat."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.authtoken.models import Token

from settlement.models import ClaimBatch
from tests.settlement.files import csv_bytes, json_bytes, line, many_lines

pytestmark = pytest.mark.usefixtures("english_pages")

BASE = "/api/v1/settlement/batches/"


@pytest.fixture
def token_client(db):
    def make(user):
        token, _created = Token.objects.get_or_create(user=user)
        return Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    return make


@pytest.fixture
def clients(user_a, user_b, auditor_a, auditor_none, clerk, token_client):
    return {"provider_a": token_client(user_a), "provider_b": token_client(user_b),
            "auditor_a": token_client(auditor_a), "auditor_none": token_client(auditor_none),
            "clerk": token_client(clerk), "anonymous": Client()}


def _post(client, data: bytes, name="claims.csv", period="2026-10", **extra):
    return client.post(BASE, {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream"),
                              "period": period}, **extra)


# -- upload ---------------------------------------------------------------------------------------

def test_a_providers_token_uploads_and_gets_201_with_id_and_status_at_the_top_level(clients, user_a,
                                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(clients["provider_a"], csv_bytes([line()]))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received" and isinstance(body["id"], int)  # answered at once; checked after commit
    assert len(callbacks) == 1
    batch = ClaimBatch.objects.get(pk=body["id"])
    assert batch.provider.code == "H32019001" and batch.uploaded_by == user_a


def test_in_process_the_upload_answers_with_the_checked_status(clients, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(clients["provider_a"], json_bytes([line()]), name="upload.bin")
    assert response.status_code == 201
    detail = clients["provider_a"].get(f"{BASE}{response.json()['id']}/").json()
    assert (detail["status"], detail["file_format"], detail["claim_count"]) == ("reviewed", "json", 1)


@pytest.mark.parametrize("who, status", [("provider_a", 201), ("provider_b", 201), ("auditor_a", 403),
                                         ("auditor_none", 403), ("clerk", 403), ("anonymous", 401)])
def test_who_may_upload(clients, who, status):
    assert _post(clients[who], csv_bytes([line(claim_no=who)])).status_code == status


def test_the_same_file_again_is_409_duplicate_file_with_the_first_batchs_id(clients):
    first = _post(clients["provider_a"], csv_bytes([line()])).json()
    response = _post(clients["provider_a"], csv_bytes([line()]), name="again.csv")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["batch_id"]) == ("duplicate_file", first["id"])
    assert "batch H32019001-0001 " in body["message"]  # the provider's own number, never another's id


def test_a_json_upload_that_is_not_a_list_of_objects_is_400_with_its_message(clients):
    response = _post(clients["provider_a"], b'{"claim_no": "C1"}', name="c.json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json" and "list of row objects" in response.json()["message"]


def test_a_file_over_the_limit_is_413_before_the_body_is_read(clients, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = _post(clients["provider_a"], csv_bytes([line(f"C{i}") for i in range(2000)]))
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_too_many_lines_is_413(clients, monkeypatch):
    from settlement.services import upload

    monkeypatch.setattr(upload, "MAX_LINES", 2)
    response = _post(clients["provider_a"], csv_bytes([line("C1", 1), line("C1", 2), line("C1", 3)]))
    assert response.status_code == 413 and response.json()["code"] == "too_many_lines"
    assert "more than 2 claim lines" in response.json()["message"]


def test_a_missing_file_or_a_bad_period_is_400(clients):
    assert clients["provider_a"].post(BASE, {"period": "2026-10"}).json()["code"] == "invalid"
    response = _post(clients["provider_a"], csv_bytes([line()]), period="2026/10")
    assert response.status_code == 400 and response.json()["errors"][0]["column"] == "period"


def test_an_inactive_provider_and_a_user_with_no_provider_get_a_clear_403(clients, provider_a, make_user, token_client):
    from core.roles import Role

    provider_a.active = False
    provider_a.save(update_fields=["active"])
    response = _post(clients["provider_a"], csv_bytes([line()]))
    assert (response.status_code, response.json()["code"]) == (403, "provider_inactive")
    orphan = token_client(make_user("orphan", Role.PROVIDER))
    response = _post(orphan, csv_bytes([line()]))
    assert (response.status_code, response.json()["code"]) == (403, "no_provider")
    assert "not linked to a provider" in response.json()["message"]


# -- reading: the permission matrix ---------------------------------------------------------------

MATRIX = [("provider_a", 200), ("provider_b", 404), ("auditor_a", 200), ("auditor_none", 404), ("clerk", 403),
          ("anonymous", 401)]


@pytest.mark.parametrize("who, status", MATRIX)
@pytest.mark.parametrize("path", ["", "claims/", "findings/", "errors/", "errors.csv"])
def test_a_batch_and_its_claims_and_errors_by_who_asks(clients, accepted_batch, who, path, status):
    response = clients[who].get(f"{BASE}{accepted_batch.pk}/{path}")
    assert response.status_code == status
    if status != 200 and path != "errors.csv":
        assert response.json()["code"] == {404: "not_found", 403: "permission_denied",
                                           401: "not_authenticated"}[status]


@pytest.mark.parametrize("who, status, sees", [("provider_a", 200, True), ("provider_b", 200, False),
                                               ("auditor_a", 200, True), ("auditor_none", 200, False),
                                               ("clerk", 403, False), ("anonymous", 401, False)])
def test_the_list_of_batches_by_who_asks(clients, accepted_batch, who, status, sees):
    response = clients[who].get(BASE)
    assert response.status_code == status
    if status == 200:
        assert ([b["id"] for b in response.json()["results"]] == [accepted_batch.pk]) is sees


def test_a_supervisor_sees_every_providers_batches(accepted_batch, supervisor, token_client):
    assert token_client(supervisor).get(f"{BASE}{accepted_batch.pk}/").status_code == 200


# -- what the reads show --------------------------------------------------------------------------

def test_the_batch_shows_status_counts_and_totals(clients, accepted_batch):
    body = clients["provider_a"].get(f"{BASE}{accepted_batch.pk}/").json()
    assert body["id"] == accepted_batch.pk and body["status"] == "reviewed" and body["period"] == "2026-10"
    assert (body["line_count"], body["claim_count"], body["error_count"]) == (3, 2, 0)
    assert (body["total_claimed"], body["deducted"], body["fund_payable"], body["large_expense_payable"]) == (
        "75.00", "75.00", "0.00", "0.00")  # the patient is not in the register: ELIG_NOT_INSURED takes all
    assert body["personal"] == "0.00"
    assert body["error_report"] is None and body["sha256"] == accepted_batch.sha256


def test_a_batchs_claims_page_in_claim_no_order_with_its_money(clients, accepted_batch):
    body = clients["provider_a"].get(f"{BASE}{accepted_batch.pk}/claims/").json()
    assert body["count"] == 2 and body["next"] is None
    first = body["results"][0]
    assert (first["claim_no"], first["total"], first["line_count"]) == ("C001", "50.00", 2)
    assert (first["deducted"], first["fund_payable"], first["large_expense_payable"]) == ("50.00", "0.00", "0.00")
    calculation = first["calculation"]
    assert calculation["result"]["disallowed"] == "50.00" and "policy_version_id" in calculation
    assert calculation["steps"][0]["code"] == "total" and calculation["steps"][-1]["code"] == "personal"
    assert "*" in first["patient_id_number"]


def test_a_batchs_findings(clients, accepted_batch):
    body = clients["provider_a"].get(f"{BASE}{accepted_batch.pk}/findings/").json()
    got = [(f["rule_code"], f["severity"], f["claim_no"], f["line_no"], f["amount_at_issue"], f["decision"],
            f["physician_code"], f["department"]) for f in body["results"]]
    assert got == [("ELIG_NOT_INSURED", "DEDUCT", "C001", None, "50.00", None, "D320100001", "内科"),
                   ("ELIG_NOT_INSURED", "DEDUCT", "C002", None, "25.00", None, "D320100001", "内科"),
                   ("OUTPATIENT_SAME_DAY", "REVIEW", "C002", None, "0.00", None, "D320100001", "内科")]
    assert "not in the register" in body["results"][0]["explanation"]
    assert "(claim C001)" in body["results"][2]["explanation"]
    assert isinstance(body["results"][0]["id"], int)


def test_a_rejected_batch_links_its_error_report(clients, user_a, upload):
    batch = upload(user_a, csv_bytes([line(quantity="0"), line("C2", visit_type="BED")]))
    body = clients["provider_a"].get(f"{BASE}{batch.pk}/").json()
    assert body["status"] == "rejected" and body["error_count"] == 2
    assert body["error_report"].endswith(f"{BASE}{batch.pk}/errors.csv")
    errors = clients["provider_a"].get(f"{BASE}{batch.pk}/errors/").json()["results"]
    assert [(e["row"], e["column"], e["code"]) for e in errors] == [(2, "quantity", "quantity"),
                                                                     (3, "visit_type", "visit_type")]
    assert errors[1]["message"].startswith("“BED” is not a visit type")


def test_the_error_report_downloads_as_csv_with_formulas_made_harmless(clients, user_a, upload):
    attack = "=cmd|' /C calc'!A0"
    batch = upload(user_a, csv_bytes([line(patient_name=attack, admission_date=attack)]))
    response = clients["provider_a"].get(f"{BASE}{batch.pk}/errors.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Row", "Column", "Value", "Problem"]
    assert rows[1][:3] == ["2", "admission_date", "'" + attack]  # text, never a formula
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_formula_like_value_is_stored_as_text(user_a, upload):
    attack = "=cmd|' /C calc'!A0"
    batch = upload(user_a, csv_bytes([line(patient_name=attack, department="+SUM(A1)")]))
    assert batch.status == "reviewed"
    claim = batch.claims.get()
    assert claim.patient_name == attack and claim.lines.get().department == "+SUM(A1)"


def test_batches_page_in_a_stable_order(clients, user_a, upload):
    ids = [upload(user_a, csv_bytes([line(f"C{i}")])).pk for i in range(3)]
    body = clients["provider_a"].get(f"{BASE}?page_size=2").json()
    assert body["count"] == 3 and [b["id"] for b in body["results"]] == sorted(ids, reverse=True)[:2]
    assert clients["provider_a"].get(body["next"]).json()["results"][0]["id"] == min(ids)
    assert clients["provider_a"].get(f"{BASE}?status=rejected").json()["count"] == 0


def test_the_claims_lists_query_count_does_not_grow_with_the_claims(clients, user_a, upload,
                                                                     django_assert_max_num_queries):
    small = upload(user_a, csv_bytes(many_lines(2, 1, "S")))
    big = upload(user_a, csv_bytes(many_lines(120, 1, "B")))
    client = clients["provider_a"]
    with django_assert_max_num_queries(12) as small_queries:
        assert client.get(f"{BASE}{small.pk}/claims/?page_size=500").json()["count"] == 2
    with django_assert_max_num_queries(12) as big_queries:
        assert client.get(f"{BASE}{big.pk}/claims/?page_size=500").json()["count"] == 120
    assert len(big_queries.captured_queries) == len(small_queries.captured_queries)
    with django_assert_max_num_queries(12) as small_findings:
        assert client.get(f"{BASE}{small.pk}/findings/?page_size=500").json()["count"] == 3  # 2 not insured, 1 same day
    with django_assert_max_num_queries(12) as big_findings:
        assert client.get(f"{BASE}{big.pk}/findings/?page_size=500").json()["count"] == 240  # and the first of B, after S
    assert len(big_findings.captured_queries) == len(small_findings.captured_queries)
    with django_assert_max_num_queries(12) as list_queries:
        assert client.get(BASE).json()["count"] == 2
    assert len(list_queries.captured_queries) <= len(small_queries.captured_queries) + 1


def test_the_schema_documents_the_endpoints_and_error_codes(clients, user_a):
    schema = Client().get("/api/schema/", HTTP_AUTHORIZATION=clients["provider_a"].defaults["HTTP_AUTHORIZATION"])
    text = schema.content.decode()
    for path in ("/api/v1/settlement/batches/", "/api/v1/settlement/batches/{id}/claims/",
                 "/api/v1/settlement/batches/{id}/findings/",
                 "/api/v1/settlement/batches/{id}/errors.csv"):
        assert path in text
    for code in ("duplicate_file", "too_many_lines", "invalid_json", "provider_inactive", "no_provider"):
        assert code in text
