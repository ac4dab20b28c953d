"""The review: every rule, then each claim's money on what remains, caps in the spec's order; idempotent;
recompute_batch after findings are decided."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection

from core.models import AuditEntry
from settlement.models import Claim, ClaimBatch, Finding
from settlement.services import recompute_batch, review_batch
from tests.factories import PersonFactory, ProviderFactory, make_id_number
from tests.settlement.builder import Batches, item

OCT8 = date(2026, 10, 8)


@pytest.fixture
def b(db, provider_user):
    return Batches(ProviderFactory(code="H32018811", level=2, area="LOCAL"), provider_user)


@pytest.fixture
def person(db):
    return PersonFactory(insurance_type="RES", name="张三")


@pytest.fixture
def catalogue(db):
    item("A1", pay_class="A")
    item("CAP", pay_class="A", price_cap=D("10.00"))


def test_review_moves_the_batch_and_computes_each_claim(b, person, catalogue):
    b.claim("C1", person, [{"item": "A1", "amount": "100.00"},
                           {"item": "CAP", "quantity": "2", "unit_price": "15.00", "amount": "30.00"}])
    batch = review_batch(batch=b.batch)
    assert batch.status == "reviewed" and batch.version == 2
    claim = Claim.objects.get()
    # PRICE_OVER_CAP takes 10.00; general outpatient, RES, level 2: no deductible, 50 %.
    assert (claim.deducted, claim.fund_payable, claim.large_expense_payable, claim.personal) == (
        D("10.00"), D("60.00"), D("0.00"), D("60.00"))
    assert claim.calculation["policy_version_id"] is not None
    assert claim.calculation["result"]["ratio"] == "0.50"
    assert (batch.total_deducted, batch.total_fund, batch.total_large_expense, batch.total_personal) == (
        D("10.00"), D("60.00"), D("0.00"), D("60.00"))
    assert AuditEntry.objects.filter(action="settlement.claimbatch.reviewed", object_id=str(batch.pk)).exists()


def test_a_review_request_after_the_review_changes_nothing(b, person, catalogue):
    b.claim("C1", person, [{"item": "CAP", "quantity": "2", "unit_price": "15.00", "amount": "30.00"}])
    review_batch(batch=b.batch)
    assert review_batch(batch=b.batch).status == "reviewed"
    assert Finding.objects.count() == 1


def test_a_review_killed_midway_leaves_the_batch_to_review_again_with_no_finding_twice(b, person, catalogue,
                                                                                       monkeypatch):
    from settlement.services import review as module

    b.claim("C1", person, [{"item": "CAP", "quantity": "2", "unit_price": "15.00", "amount": "30.00"}])

    def killed(batch):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(module, "_compute", killed)
    with pytest.raises(RuntimeError):
        review_batch(batch=b.batch)
    assert ClaimBatch.objects.get(pk=b.batch.pk).status == "accepted" and not Finding.objects.exists()
    monkeypatch.undo()
    # a rerun on a batch whose findings were left behind (say, by an older run) starts from nothing
    review_batch(batch=b.batch)
    ClaimBatch.objects.filter(pk=b.batch.pk).update(status="accepted")
    review_batch(batch=b.batch)
    assert list(Finding.objects.values_list("rule_code", flat=True)) == ["PRICE_OVER_CAP"]


def test_the_cap_across_two_batches_spec_example(b, person, catalogue):
    """RES, level 2, 199,000.00 used by a claim of an earlier batch not yet settled, S − D = 10,000.00."""
    stay = {"visit_type": "INPATIENT", "diagnosis": "K35.8", "discharge": date(2026, 10, 9)}
    b.new(status=ClaimBatch.Status.REVIEWED)
    b.claim("E1", person, [{"item": "A1", "amount": "1.00"}], admission=date(2026, 3, 1), **stay | {
        "discharge": date(2026, 3, 2)})
    Claim.objects.filter(claim_no="E1").update(fund_payable=D("199000.00"), large_expense_payable=D("0.00"))
    b.new()
    b.claim("C1", person, [{"item": "A1", "amount": "10500.00"}], admission=OCT8, **stay)
    b.claim("C2", person, [{"item": "A1", "amount": "900.00"}], admission=date(2026, 10, 20),
            **stay | {"discharge": date(2026, 10, 21)})
    review_batch(batch=b.batch)
    c1, c2 = Claim.objects.filter(batch=b.batch).order_by("claim_no")
    assert (c1.fund_payable, c1.large_expense_payable, c1.personal) == (D("1000.00"), D("0.00"), D("9500.00"))
    r = c1.calculation["result"]
    assert (r["cap_point"], r["co_payment"], r["above_cap_point"]) == ("1428.57", "428.57", "8571.43")
    assert (c2.fund_payable, c2.personal) == (D("0.00"), D("900.00"))  # the cap is spent by C1 before it


def test_recompute_after_findings_are_decided(b, person, catalogue):
    b.claim("C1", person, [{"item": "CAP", "quantity": "2", "unit_price": "15.00", "amount": "30.00"}],
            name="王五")
    review_batch(batch=b.batch)
    claim = Claim.objects.get()
    assert (claim.deducted, claim.fund_payable) == (D("10.00"), D("10.00"))  # the REVIEW name finding: not yet
    Finding.objects.filter(rule_code="PRICE_OVER_CAP").update(decision="DISMISSED")
    batch = recompute_batch(b.batch)
    claim.refresh_from_db()
    assert (claim.deducted, claim.fund_payable, batch.total_fund) == (D("0.00"), D("15.00"), D("15.00"))
    Finding.objects.filter(rule_code="ELIG_NAME_MISMATCH").update(decision="UPHELD")
    recompute_batch(b.batch)
    claim.refresh_from_db()
    assert (claim.deducted, claim.fund_payable, claim.personal) == (D("30.00"), D("0.00"), D("0.00"))


def test_bed_days_deduction_falls_on_the_bed_lines(b, person, catalogue):
    item("BED", category="BED", pay_class="A")
    b.claim("I1", person, [{"item": "BED", "quantity": "4", "unit_price": "50.00", "amount": "200.00",
                            "service_date": date(2026, 10, 1)}],
            visit_type="INPATIENT", admission=date(2026, 10, 1), discharge=date(2026, 10, 3), diagnosis="K35.8")
    review_batch(batch=b.batch)
    assert Claim.objects.get().deducted == D("100.00")


def test_the_review_reads_a_flat_number_of_queries(b, catalogue, django_assert_max_num_queries):
    def queries(n):
        b.new()
        for i in range(n):
            someone = PersonFactory(insurance_type="RES", id_number=make_id_number(date(1950 + n, 1, 1) + timedelta(i)))
            b.claim(f"Q{b.batch.pk}-{i}", someone, [{"item": "A1", "amount": "5.00"}])
        from django.test.utils import CaptureQueriesContext
        with CaptureQueriesContext(connection) as ctx:
            review_batch(batch=b.batch)
        return len(ctx.captured_queries)

    queries(1)  # the system user, made on first use
    assert queries(3) == queries(25)
