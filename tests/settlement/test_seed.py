"""settlement's demo data: a demo provider's batch, uploaded and reviewed, with findings; a rerun adds nothing."""

import pytest

from core.demo_providers import seed_providers
from core.demo_users import ensure_demo_users
from eligibility.seed import seed_eligibility
from settlement.models import ClaimBatch, Finding
from settlement.seed import seed_settlement
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_demo_batch_is_reviewed_with_findings_and_a_second_run_adds_nothing(django_capture_on_commit_callbacks):
    ensure_demo_users()
    seed_providers()
    PersonFactory.create_batch(6)
    seed_eligibility(persons=6)
    with django_capture_on_commit_callbacks(execute=True):
        summary = seed_settlement(persons=6)
    assert "reviewed" in summary
    batch = ClaimBatch.objects.get()
    assert batch.status == "reviewed", list(batch.errors.values_list("row", "column", "code", "value"))
    codes = set(Finding.objects.values_list("rule_code", flat=True))
    assert {"PRICE_OVER_CAP", "QTY_DAYS_SUPPLY", "SEX_RESTRICTED", "CAT_UNKNOWN_ITEM", "ELIG_NAME_MISMATCH",
            "THIRD_PARTY_CHECK", "ELIG_NOT_INSURED", "BED_DAYS_OVER_STAY"} <= codes
    assert batch.claims.filter(fund_payable__gt=0).exists()
    count = Finding.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        seed_settlement(persons=6)
    assert (ClaimBatch.objects.count(), Finding.objects.count()) == (1, count)
