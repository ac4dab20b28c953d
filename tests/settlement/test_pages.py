"""The provider's pages: upload with the result at once, batches, claims, the error report; the auditors'
read-only view; the permission matrix; query counts flat in the number of batches and claims."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from settlement.models import ClaimBatch
from tests.settlement.files import csv_bytes, line, many_lines

pytestmark = pytest.mark.usefixtures("english_pages")

LIST = reverse("settlement:batch_list")
UPLOAD = reverse("settlement:batch_upload")


def _upload(client, data, name="claims.csv", period="2026-10"):
    return client.post(UPLOAD, {"upload-period": period, "upload-file": SimpleUploadedFile(name, data)})


def test_a_provider_uploads_on_the_page_and_sees_the_result_at_once(client_for, user_a,
                                                                    django_capture_on_commit_callbacks):
    client = client_for(user_a)
    page = client.get(LIST).content.decode()
    assert 'id="upload-form"' in page and "示范市甲医院" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, csv_bytes([line("C001", 1), line("C001", 2), line("C002", 1)]))
    batch = ClaimBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("settlement:batch_detail", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-status="reviewed"' in page and "3 lines in 2 claims accepted, 75.00 claimed." in page
    assert "C001" in page and "C002" in page and 'id="batch-claims"' in page
    listing = client.get(LIST).content.decode()
    assert batch.label in listing and "75.00" in listing and "Accepted" in listing


def test_a_received_batch_is_followed_with_htmx_until_it_is_checked(client_for, user_a):
    client = client_for(user_a)
    _upload(client, csv_bytes([line()]))  # the check is sent on commit, which the test transaction never reaches
    batch = ClaimBatch.objects.get()
    page = client.get(reverse("settlement:batch_detail", args=[batch.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and "being checked" in page
    poll = client.get(reverse("settlement:batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 200 and "being checked" in poll.content.decode()
    from settlement.services import check_batch

    check_batch(batch=batch)
    poll = client.get(reverse("settlement:batch_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert poll.status_code == 286 and poll["HX-Refresh"] == "true"  # htmx stops and the page reloads


def test_a_rejected_batch_shows_its_errors_and_the_report_to_download(client_for, user_a, upload):
    batch = upload(user_a, csv_bytes([line(quantity="0"), line("C2", admission_date="2026-02-30")]))
    client = client_for(user_a)
    page = client.get(reverse("settlement:batch_detail", args=[batch.pk])).content.decode()
    assert 'data-status="rejected"' in page and "The file has 2 errors" in page
    assert "“2026-02-30” is not a real date written YYYY-MM-DD" in page
    report = client.get(reverse("settlement:batch_error_report", args=[batch.pk]))
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[1].startswith("2,quantity,0,")
    assert report["Content-Disposition"].startswith(f'attachment; filename="{batch.label}-errors')


def test_the_original_file_downloads(client_for, user_a, upload):
    data = csv_bytes([line()])
    batch = upload(user_a, data, name="十月.csv")
    response = client_for(user_a).get(reverse("settlement:batch_file", args=[batch.pk]))
    assert b"".join(response.streaming_content) == data


def test_the_same_file_again_on_the_page_links_the_first_batch(client_for, user_a, upload):
    first = upload(user_a, csv_bytes([line()]))
    response = _upload(client_for(user_a), csv_bytes([line()]))
    assert response.status_code == 409
    assert reverse("settlement:batch_detail", args=[first.pk]) in response.content.decode()


def test_refusals_on_the_page_say_why(client_for, user_a, settings):
    client = client_for(user_a)
    response = _upload(client, b'{"claim_no": 1}', name="c.json")
    assert response.status_code == 400 and "list of row objects" in response.content.decode()
    response = _upload(client, csv_bytes([line()]), period="10/2026")
    assert response.status_code == 400 and "YYYY-MM" in response.content.decode()
    settings.UPLOAD_MAX_BYTES = 100
    response = _upload(client, csv_bytes([line(f"C{i}") for i in range(500)]))
    assert response.status_code == 413 and "the limit is" in response.content.decode()
    assert not ClaimBatch.objects.exists()


def test_a_provider_user_with_no_provider_is_told_on_the_page(client_for, provider_user):
    page = client_for(provider_user).get(LIST).content.decode()
    assert "not linked to a provider" in page and 'id="upload-form"' not in page
    response = _upload(client_for(provider_user), csv_bytes([line()]))
    assert response.status_code == 403


def test_an_assigned_auditor_reads_the_providers_batches_without_uploading(client_for, auditor_a, accepted_batch):
    client = client_for(auditor_a)
    page = client.get(LIST).content.decode()
    assert accepted_batch.label in page and "示范市甲医院" in page and 'id="upload-form"' not in page
    assert client.get(reverse("settlement:batch_detail", args=[accepted_batch.pk])).status_code == 200
    assert _upload(client, csv_bytes([line("X")])).status_code == 403


MATRIX = [("user_a", 200, 200), ("user_b", 200, 404), ("auditor_a", 200, 200), ("auditor_none", 200, 404),
          ("clerk", 403, 403)]


@pytest.mark.parametrize("who, list_status, detail_status", MATRIX)
def test_who_sees_what(request, client_for, accepted_batch, who, list_status, detail_status):
    client = client_for(request.getfixturevalue(who))
    listing = client.get(LIST)
    assert listing.status_code == list_status
    if list_status == 200:
        assert (accepted_batch.label in listing.content.decode()) is (detail_status == 200)
    for name in ("batch_detail", "batch_error_report", "batch_file"):
        assert client.get(reverse(f"settlement:{name}", args=[accepted_batch.pk])).status_code == detail_status


def test_anonymous_is_sent_to_log_in(client, accepted_batch):
    for url in (LIST, reverse("settlement:batch_detail", args=[accepted_batch.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_menu_and_home_page_lead_providers_and_auditors_to_their_batches(client_for, user_a, auditor_a, clerk):
    for user in (user_a, auditor_a):
        assert LIST in client_for(user).get(reverse("home")).content.decode()
    assert LIST not in client_for(clerk).get(reverse("home")).content.decode()


def test_the_pages_query_counts_do_not_grow_with_batches_and_claims(client_for, user_a, upload,
                                                                    django_assert_max_num_queries):
    client = client_for(user_a)
    small = upload(user_a, csv_bytes(many_lines(2, 1, "S")))
    with django_assert_max_num_queries(20) as one_batch:
        client.get(LIST)
    with django_assert_max_num_queries(20) as small_claims:
        client.get(reverse("settlement:batch_detail", args=[small.pk]))
    big = upload(user_a, csv_bytes(many_lines(60, 1, "B")))
    for i in range(3):
        upload(user_a, csv_bytes([line(f"X{i}")]))
    with django_assert_max_num_queries(20) as five_batches:
        client.get(LIST)
    with django_assert_max_num_queries(20) as big_claims:
        client.get(reverse("settlement:batch_detail", args=[big.pk]))
    assert len(five_batches.captured_queries) == len(one_batch.captured_queries)
    assert len(big_claims.captured_queries) == len(small_claims.captured_queries)


def test_a_provider_reads_the_findings_and_a_claims_calculation(client_for, user_a, accepted_batch,
                                                                 django_assert_max_num_queries):
    client = client_for(user_a)
    page = client.get(reverse("settlement:batch_detail", args=[accepted_batch.pk])).content.decode()
    assert 'id="batch-findings"' in page and 'data-rule="ELIG_NOT_INSURED"' in page
    assert all(f'id="batch-{which}">{amount}</dd>' in page for which, amount in (
        ("deducted", "75.00"), ("fund", "0.00"), ("large-expense", "0.00"), ("personal", "0.00")))
    claim = accepted_batch.claims.get(claim_no="C001")
    url = reverse("settlement:claim_detail", args=[accepted_batch.pk, claim.pk])
    assert url in page
    detail = client.get(url).content.decode()
    assert 'id="claim-calculation"' in detail and 'data-step="personal"' in detail and "ELIG_NOT_INSURED" in detail


def test_another_providers_claim_page_is_404(client_for, user_b, accepted_batch):
    claim = accepted_batch.claims.first()
    url = reverse("settlement:claim_detail", args=[accepted_batch.pk, claim.pk])
    assert client_for(user_b).get(url).status_code == 404
