"""Issue 13, item 7: the nightly report prints the audit trail's latest checkpoint, so that a paper
copy of the chain's end exists outside the database too."""

import pytest

from core.models import AuditEntry
from core.tasks import verify_audit_trail
from enrollment.models import ReconciliationRun
from enrollment.services.reconciliation import issue_run_report

from .test_discrepancy_resolution import night_fixture, register_fixture  # noqa: F401  (fixtures)
from .test_reconciliation_report import pdf_text, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def report_in_english(settings):
    settings.LETTER_LANGUAGE = "en"


def test_the_nightly_report_prints_the_audit_checkpoint(night, supervisor):
    assert verify_audit_trail.delay().get()["ok"]
    last = AuditEntry.objects.order_by("-seq").first()
    letter = issue_run_report(actor=supervisor, run=ReconciliationRun.objects.get())
    text = squeeze(pdf_text(letter))
    assert f"Auditcheckpointentry{last.seq},verified" in text
    assert f"hash{last.hash}" in text


def test_before_the_first_checkpoint_the_report_says_so(night, supervisor):
    letter = issue_run_report(actor=supervisor, run=ReconciliationRun.objects.get())
    assert "Auditcheckpointnoneyet" in squeeze(pdf_text(letter))
