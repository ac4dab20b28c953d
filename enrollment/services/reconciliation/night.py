"""The night's reconciliation, one path for all who start it: the nightly beat job, a run requested
from the page (handed to the worker) and `manage.py reconcile_enrollment` all call reconcile_night:
reconcile each extract, issue each finished run's report, then raise the discrepancies open too long
in the problem ledger.
"""

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import Conflict
from core.models import LetterRecord
from core.system import system_user

from ...models import ReconciliationAttempt, ReconciliationRun
from ...permissions import access_reconciliation
from ...reconciliation.engine import check_run_date, reconcile_file
from ...reconciliation.extract import ExtractRejected
from ...reconciliation.nightly import Delivered, pending
from ...reconciliation.report import ReconciliationReport, kept_report
from .escalation import escalate_aged

log = logging.getLogger(__name__)


@dataclass
class Reconciled:
    """One extract's outcome: its run, the open discrepancies by kind, why it was rejected, and the
    try itself (a rejected try of a date that succeeded leaves the run SUCCEEDED: its attempt says
    REJECTED)."""

    run: ReconciliationRun
    counts: dict[str, int]
    rejection: ExtractRejected | None = None
    attempt: ReconciliationAttempt | None = None

    @property
    def status(self) -> str:
        return self.attempt.status if self.attempt is not None else self.run.status


def reconcile_night(*, actor, extracts: list[Delivered] | None = None) -> list[Reconciled]:
    """Reconcile `extracts` (by default every one waiting in AGENCY_DROP_DIR, oldest first), issue
    each run's report, then escalate what has been open too long as of the latest date reconciled
    (today when there was nothing to reconcile).

    `actor` is who asked: the system user for the nightly job. A rejected file is kept in its
    outcome and the next date goes on; a failed run, or one refused because another is going on,
    raises (the task retries). A date in the future, or before the latest date reconciled, is refused
    (ValidationFailed) before anything is recorded; the drop folder's extracts dated after today wait
    for their day, and those dated before the latest date reconciled are left alone.
    """
    if extracts is None:
        extracts = pending(Path(settings.AGENCY_DROP_DIR))
    done = []
    for item in extracts:
        try:
            outcome = reconcile_file(item.path, run_date=item.run_date, actor=actor)
        except ExtractRejected as exc:
            log.warning("extract %s rejected: %s", item.path, exc.message)
            run = ReconciliationRun.objects.get(run_date=item.run_date)
            done.append(Reconciled(run, {}, exc, run.attempt_rows.order_by("-number").first()))
        else:
            done.append(Reconciled(outcome.run, outcome.counts, attempt=outcome.attempt))
        issue_run_report(actor=actor, run=done[-1].run)
    on = max((r.run.run_date for r in done), default=timezone.localdate())
    escalate_aged(actor=system_user(), on=on)
    return done


def issue_run_report(*, actor, run: ReconciliationRun) -> LetterRecord:
    """The run's nightly report (PDF): the one kept for its latest finish, or issued now, once (the
    run row is locked meanwhile). Refused while the run is going on."""
    with transaction.atomic():
        run = ReconciliationRun.objects.select_for_update().get(pk=run.pk)
        if run.status == ReconciliationRun.Status.RUNNING:
            raise Conflict(_("The run has not finished yet: its report comes when it has."), code="run_not_finished")
        return kept_report(run) or ReconciliationReport(run).issue(actor=actor, obj=run)


def request_run(*, actor, run_date: date, upload=None, drop_path: Path | None = None) -> int:
    """Reconcile an uploaded extract (kept under MEDIA_ROOT/agency/) or one from the drop folder, for
    run_date, on the worker once this commits; audited as requested. Returns the run's attempts so
    far, so that the page can wait for the next one."""
    access_reconciliation(actor, "run")
    check_run_date(run_date)
    from ...tasks import reconcile_extract

    path, sha256 = _keep_upload(upload) if upload else (drop_path, "")
    after = ReconciliationRun.objects.filter(run_date=run_date).values_list("attempts", flat=True).first() or 0
    with transaction.atomic():
        record(actor, "enrollment.reconciliation.requested",
               ("enrollment.reconciliationrun", run_date.isoformat(), f"{run_date.isoformat()} {path.name}"), None,
               {"date": run_date.isoformat(), "file": path.name, "uploaded": bool(upload), "sha256": sha256})
        reconcile_extract.delay_on_commit(str(path), run_date.isoformat(), actor.pk)
    return after


def _keep_upload(upload) -> tuple[Path, str]:
    """Save an uploaded extract under MEDIA_ROOT/agency/<sha256 prefix>/<original name>; kept."""
    folder = Path(settings.MEDIA_ROOT) / "agency"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as tmp:
        try:
            for chunk in upload.chunks():
                digest.update(chunk)
                tmp.write(chunk)
        except BaseException:
            os.unlink(tmp.name)
            raise
    sha256 = digest.hexdigest()
    target = folder / sha256[:16] / get_valid_filename(Path(upload.name).name)
    target.parent.mkdir(exist_ok=True)
    os.replace(tmp.name, target)
    return target, sha256
