"""The provider's pages read as plain sentences: rules by name (the code small beside it), the provider and
the uploader by name, counts in sentences, money with its cents, one name for the basic fund, and ids that
appear once on a page."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from settlement.rule_names import NAMES, SEVERITY_EFFECTS
from settlement.rules.catalog import TABLE
from tests.factories import PersonFactory
from tests.plain_text import visible_text
from tests.settlement.builder import item
from tests.settlement.files import PATIENT, csv_bytes, line

pytestmark = pytest.mark.usefixtures("english_pages")

LIST = reverse("settlement:batch_list")


def words(html: str) -> str:
    """The page's visible text with its white space run together."""
    return " ".join(visible_text(html).split())


@pytest.fixture
def capped_batch(user_a, upload):
    """C001 bills 12.50 an item whose catalogue price cap is 10 (stored with four places), and 0.20 one capped
    at 0.1234: PRICE_OVER_CAP on both lines."""
    PersonFactory(id_number=PATIENT, name="张三")
    item("XJ01CAA040A001", price_cap=D("10"))
    item("FINE", price_cap=D("0.1234"))
    return upload(user_a, csv_bytes([line("C001", 1), line("C001", 2, item_code="FINE", quantity="1",
                                                            unit_price="0.20", amount="0.20")]))


def test_every_rule_of_the_spec_has_a_name_and_every_severity_an_effect():
    assert set(NAMES) == {rule.code for rule in TABLE}
    assert set(SEVERITY_EFFECTS) == {rule.severity for rule in TABLE}


def test_findings_name_their_rule_and_keep_the_code_small_beside_it(client_for, user_a, capped_batch):
    client = client_for(user_a)
    page = client.get(reverse("settlement:batch_detail", args=[capped_batch.pk])).content.decode()
    row = re.search(r'<tr data-rule="PRICE_OVER_CAP">.*?</tr>', page, re.S).group(0)
    text = visible_text(row)
    assert "Price above the catalogue's price cap" in text and "Deducted" in text
    assert '<small class="muted"><code>PRICE_OVER_CAP</code></small>' in row
    header = visible_text(re.search(r'<table class="list" id="batch-findings">.*?</thead>', page, re.S).group(0))
    assert "Review rule" in header and "What happens" in header and "Severity" not in header
    claim = capped_batch.claims.get()
    detail = client.get(reverse("settlement:claim_detail", args=[capped_batch.pk, claim.pk])).content.decode()
    finding = visible_text(re.search(r'<ul id="claim-findings">.*?</ul>', detail, re.S).group(0))
    assert "Price above the catalogue's price cap" in finding and "Line 1" in finding and "Line 2" in finding


def test_a_whole_claim_finding_says_so_and_the_api_keeps_the_codes(client_for, user_a, accepted_batch):
    page = client_for(user_a).get(reverse("settlement:batch_detail", args=[accepted_batch.pk])).content.decode()
    row = re.search(r'<tr data-rule="ELIG_NOT_INSURED">.*?</tr>', page, re.S).group(0)
    assert "Patient not insured on the date of care" in visible_text(row) and "Whole claim" in visible_text(row)
    body = client_for(user_a).get(f"/api/v1/settlement/batches/{accepted_batch.pk}/findings/").json()
    codes = {f["rule_code"] for f in body["results"]}
    assert "ELIG_NOT_INSURED" in codes and codes <= set(NAMES)
    assert {f["severity"] for f in body["results"]} <= set(SEVERITY_EFFECTS)


def test_the_price_cap_in_a_finding_shows_its_cents(client_for, user_a, capped_batch):
    first, second = capped_batch.findings.filter(rule_code="PRICE_OVER_CAP").order_by("line__position")
    assert "price cap 10.00;" in first.explanation and "(12.50 − 10.00) × 2 units: 5.00 deducted" in first.explanation
    assert "price cap 0.1234;" in second.explanation  # places beyond the cent are kept where they count


def test_a_providers_home_page_names_the_provider_and_counts_batches_in_a_sentence(client_for, user_a, upload):
    client = client_for(user_a)
    text = words(client.get(reverse("home")).content.decode())
    assert "Welcome, 示范市甲医院" in text  # the user has no full name: the provider's
    assert "You work for 示范市甲医院 (provider code H32019001)." in text
    assert "No claim batch yet." in text and not re.search(r"\b0 ", text)
    batch = upload(user_a, csv_bytes([line()]))
    text = words(client.get(reverse("home")).content.decode())
    assert "1 claim batch so far." in text and f"{batch.label} · 示范市甲医院 · period 2026-10 · Reviewed" in text
    user_a.first_name = "示范市甲医院 医保办"
    user_a.save(update_fields=["first_name"])
    assert "Welcome, 示范市甲医院 医保办" in words(client.get(reverse("home")).content.decode())


def test_the_status_filter_offers_all_statuses_in_words(client_for, user_a):
    page = client_for(user_a).get(LIST).content.decode()
    assert '<option value="" selected>All statuses</option>' in page and "---------" not in page


def test_the_batch_page_names_the_basic_fund_one_way_and_labels_each_total(client_for, user_a, capped_batch):
    page = client_for(user_a).get(reverse("settlement:batch_detail", args=[capped_batch.pk])).content.decode()
    text = words(page)
    claim = capped_batch.claims.get()
    assert text.count("Basic fund payable") == 2  # the batch's total and the claims' column
    assert f"Basic fund payable {capped_batch.total_fund}" in text and "fund payable ·" not in text
    assert f"Deducted {capped_batch.total_deducted}" in text and f"Personal share {capped_batch.total_personal}" in text
    assert claim.fund_payable == capped_batch.total_fund


@pytest.mark.parametrize("who", ["user_a", "auditor_a"])
def test_every_id_on_the_batch_list_is_used_once(request, client_for, who, accepted_batch):
    page = client_for(request.getfixturevalue(who)).get(LIST).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert "id_period" in ids and len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    if who == "user_a":
        assert 'id="id_upload-period"' in page and 'for="id_upload-period"' in page
