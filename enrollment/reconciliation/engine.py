"""One night's reconciliation: stage the extract, diff it with the register, upsert discrepancies.

reconcile_file() is what the Celery task and `manage.py reconcile_enrollment` both call. It is
idempotent for its date (the run row is reused, discrepancies are upserted on their identity),
safe to retry after a crash (the work is one transaction: a crash leaves nothing half-done),
and two runs cannot overlap (a session advisory lock; the second is refused).
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import Conflict
from core.locks import session_lock

from ..models import Discrepancy, ReconciliationRun
from . import sql
from .extract import ExtractRejected, NeedsFullParse, parse_lines, stage_file
from .stopwatch import Stopwatch

log = logging.getLogger(__name__)
LOCK = "enrollment.reconciliation"
KINDS = [k.value for k in Discrepancy.Kind]
# Below this many lines that match no person, pass 2 parses them one by one; above it (an agency that
# quotes every field, a new register), every row is split by COPY's own CSV parser instead.
MATCH_AT_LEAST = 50_000
_DATE_IN_NAME = re.compile(r"(\d{4})(\d{2})(\d{2})")


def date_from_name(path: Path) -> date | None:
    """enrollment-20261122.csv(.gz) -> 2026-11-22; None when the name carries no date."""
    match = _DATE_IN_NAME.search(Path(path).name)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return ""
    return digest.hexdigest()


@dataclass
class Outcome:
    run: ReconciliationRun
    counts: dict[str, int]


def reconcile_file(path: Path, *, run_date: date, actor=None) -> Outcome:
    """Reconcile one extract for run_date. Raises ExtractRejected (nothing changed) or Conflict."""
    path = Path(path)
    with session_lock(LOCK) as taken:
        if not taken:
            raise Conflict(_("A reconciliation is already running; try again when it has finished."),
                           code="reconciliation_running")
        run = _start_run(path, run_date, actor)
        try:
            counts = _reconcile(path, run, actor)
        except ExtractRejected as exc:
            run.file_sha256 = file_sha256(path)  # so that only a corrected re-delivery is tried again
            _finish(run, ReconciliationRun.Status.REJECTED, error=exc.message)
            raise
        except Exception as exc:
            _finish(run, ReconciliationRun.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}")
            raise
        return Outcome(run=run, counts=counts)


def _start_run(path: Path, run_date: date, actor) -> ReconciliationRun:
    with transaction.atomic():
        run, _created = ReconciliationRun.objects.select_for_update().get_or_create(run_date=run_date)
        # A retry starts clean: nothing of an earlier attempt's figures may show as this one's.
        run.status, run.file_name, run.error = ReconciliationRun.Status.RUNNING, path.name, ""
        run.file_sha256, run.file_size, run.rows, run.invalid_rows = "", 0, 0, 0
        run.opened, run.closed, run.counts, run.timings = 0, 0, {}, {}
        run.attempts += 1
        run.started_at, run.finished_at = timezone.now(), None
        run.triggered_by = actor
        run.save(update_fields=["status", "file_name", "error", "file_sha256", "file_size", "rows", "invalid_rows",
                                "opened", "closed", "counts", "timings", "attempts", "started_at", "finished_at",
                                "triggered_by"])
    return run


def _finish(run: ReconciliationRun, status: str, *, error: str = "") -> None:
    with transaction.atomic():
        run.status, run.error, run.finished_at = status, error, timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "file_sha256"])
        record(run.triggered_by, f"enrollment.reconciliation.{status.lower()}", run, None,
               {"date": run.run_date.isoformat(), "file": run.file_name, "error": error})


def _reconcile(path: Path, run: ReconciliationRun, actor) -> dict[str, int]:
    watch = Stopwatch()
    lap, timings = watch.lap, watch.timings
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        staged = stage_file(cur, path)
        lap("ingest")
        if not staged.parsed:
            try:
                persons = _match_lines(cur, staged)
            except NeedsFullParse:  # quoted fields, or most lines written unlike ours: split every row
                staged = stage_file(cur, path, columns=True)
        if staged.parsed:
            _reject_duplicates(sql.find_duplicates(cur))
            persons = "enrollment_person"
        lap("match")
        cur.execute(sql.diff(persons))
        lap("diff")
        cur.execute(sql.CHECKED, {"today": run.run_date.isoformat()})
        cur.execute(sql.FOUND)
        cur.execute("SELECT count(*) FILTER (WHERE kind = 'INVALID_ROW') FROM agency_found")
        invalid_rows = cur.fetchone()[0]
        lap("classify")
        cur.execute(sql.UPSERT, {"run_date": run.run_date})
        opened, seen = cur.fetchone()
        cur.execute(sql.CLOSE_GONE, {"run_date": run.run_date})
        closed = cur.rowcount
        lap("upsert")
        cur.execute(sql.OPEN_COUNTS)
        counts = {kind: 0 for kind in KINDS} | dict(cur.fetchall())
        run.status = ReconciliationRun.Status.SUCCEEDED
        run.file_sha256, run.file_size, run.rows = staged.sha256, staged.size, staged.rows
        run.invalid_rows, run.opened, run.closed, run.counts = invalid_rows, opened, closed, counts
        run.finished_at = timezone.now()
        run.timings = timings | {"total": round(sum(timings.values()), 3), "parsed_in_python": staged.parsed}
        run.save(update_fields=["status", "file_sha256", "file_size", "rows", "invalid_rows", "opened", "closed",
                                "counts", "finished_at", "timings"])
        record(actor, "enrollment.reconciliation.succeeded", run, None, {
            "date": run.run_date.isoformat(), "file": run.file_name, "sha256": staged.sha256, "rows": staged.rows,
            "seen": seen, "opened": opened, "closed": closed, "open": counts,
        })
    log.info("reconciliation %s: %s rows, %s open, timings %s", run.run_date, staged.rows, counts, run.timings)
    return counts


def _match_lines(cur, staged) -> str:
    """Pass 1 (fast path): match raw lines to the register; parse only what differs.

    Returns the name of the table of persons pass 2 compares. Duplicate identity numbers are
    found without a pass of their own: pass 1 matched `rows - unmatched lines` lines to
    `persons - unmatched persons` persons, one line each unless a number is on two lines.
    """
    cur.execute(sql.UNMATCHED)
    cur.execute("SELECT count(*) FILTER (WHERE person_id IS NULL), count(*) FILTER (WHERE line_no IS NULL), "
                "count(*) FILTER (WHERE line_no IS NOT NULL) FROM agency_unmatched")
    lines_alone, persons_alone, lines_differing = cur.fetchone()
    lines = staged.lines
    if lines_differing > max(MATCH_AT_LEAST, lines // 5):
        raise NeedsFullParse()
    cur.execute("SELECT count(*) FROM enrollment_person")
    persons = cur.fetchone()[0]
    if lines - lines_alone != persons - persons_alone:
        _reject_duplicates(sql.find_duplicates_in_lines(cur))
    parse_lines(cur, "l.line_no IS NOT NULL", source="agency_unmatched")
    cur.execute(sql.PERSONS)
    duplicates = sql.find_duplicates(cur)
    if not duplicates:
        cur.execute(sql.DUPLICATES_OF_MATCHED)
        duplicates = sql.with_matched_lines(cur, cur.fetchall())
    _reject_duplicates(duplicates)
    cur.execute("ANALYZE agency_persons")
    return "agency_persons"


def _reject_duplicates(duplicates) -> None:
    if not duplicates:
        return
    raise ExtractRejected(
        _("The identity number %(id)s appears on more than one row (lines %(lines)s): the file is invalid.")
        % {"id": duplicates[0][0], "lines": ", ".join(map(str, duplicates[0][1][:5]))},
        errors=[{"line": line, "column": "id_number", "message": _("the same identity number as line %(first)s")
                 % {"first": lines[0]}} for _id, lines in duplicates for line in lines[1:]],
    )
