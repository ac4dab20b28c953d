"""The extracts waiting in the drop folder, for the night (enrollment.services.reconciliation).

A file enrollment-YYYYMMDD.csv(.gz) in AGENCY_DROP_DIR is pending when its date has no
successful run, or its run was rejected or failed and the file now delivered differs (a
corrected re-delivery) or the run failed or was interrupted. Dates are taken oldest first, so
discrepancies age in order; a file dated after today is not pending (the engine would refuse it):
it waits for its day, and is logged. A file dated before the latest date reconciled successfully
is not pending either (the engine would refuse it: an older extract after a newer one would close the
newer night's discrepancies as gone); it is logged and left alone.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.utils import timezone

from ..models import ReconciliationRun
from .engine import file_sha256, latest_reconciled_date

log = logging.getLogger(__name__)
_NAME = re.compile(r"^enrollment-(\d{4})(\d{2})(\d{2})\.csv(\.gz)?$")


@dataclass
class Delivered:
    run_date: date
    path: Path


def delivered(drop_dir: Path) -> list[Delivered]:
    """The extracts in the drop folder, oldest date first (.csv preferred over .csv.gz for a date)."""
    found: dict[date, Path] = {}
    if not drop_dir.is_dir():
        return []
    for path in sorted(drop_dir.iterdir()):
        match = _NAME.match(path.name)
        if not match or not path.is_file():
            continue
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
        if day not in found or path.suffix == ".csv":
            found[day] = path
    return [Delivered(day, found[day]) for day in sorted(found)]


def pending(drop_dir: Path) -> list[Delivered]:
    today, latest = timezone.localdate(), latest_reconciled_date()
    files = []
    for item in delivered(drop_dir):
        if item.run_date > today:
            log.warning("extract %s is dated after today (%s): left for its day", item.path, today)
        elif latest is not None and item.run_date < latest:
            log.info("extract %s is dated before the latest date reconciled (%s): left alone", item.path, latest)
        else:
            files.append(item)
    runs = {r.run_date: r for r in ReconciliationRun.objects.filter(run_date__in=[f.run_date for f in files])}
    out = []
    for item in files:
        run = runs.get(item.run_date)
        if run is None or run.status in (ReconciliationRun.Status.FAILED, ReconciliationRun.Status.RUNNING,
                                         ReconciliationRun.Status.INTERRUPTED):
            out.append(item)
        elif run.status == ReconciliationRun.Status.REJECTED and file_sha256(item.path) != run.file_sha256:
            out.append(item)
    return out

