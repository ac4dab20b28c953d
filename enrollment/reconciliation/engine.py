"""One night's reconciliation: stage the extract, diff it with the register, upsert discrepancies.

reconcile_file() is what enrollment.services.reconciliation.reconcile_night calls for each extract
(the nightly task, a run requested from the page and `manage.py reconcile_enrollment` all go through
that). It is idempotent for its date (the run row is reused, discrepancies are upserted on their
identity), safe to retry after a crash (the work is one transaction: a crash leaves nothing
half-done), and two runs cannot overlap (a session advisory lock; the second is refused).

The run row's states and the discrepancies' closing are moves of their transitions tables
(core.workflow): the run's by whoever asked for it, the closing of what disappeared by the system user.
Each try is also an attempt row beside the run (ReconciliationAttempt): a date that succeeded keeps
its run as it was when a later try of it is rejected or fails. A data date after today, or before
the latest date that succeeded, is refused before anything is recorded (an older extract run after a
newer one would close the newer night's discrepancies as gone and restart their history). Under the
lock, a run or attempt still RUNNING was left by a worker that died: it is marked INTERRUPTED before
the new run starts.
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

from core.errors import Conflict, ValidationFailed
from core.locks import session_lock
from core.system import system_user
from core.workflow import begin, begin_edit, finish, finish_many, movable_from, transition

from ..models import Discrepancy, ReconciliationAttempt, ReconciliationRun
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
    attempt: ReconciliationAttempt | None = None


def latest_reconciled_date() -> date | None:
    """The latest data date whose run succeeded: the register's comparison stands as of that night."""
    return (ReconciliationRun.objects.filter(status=ReconciliationRun.Status.SUCCEEDED)
            .order_by("-run_date").values_list("run_date", flat=True).first())


def stale_date_message(run_date: date, latest: date) -> str:
    return _("The extract's date %(date)s is earlier than %(latest)s, the latest date already reconciled: an "
             "older extract cannot be compared after a newer one (it would close the newer discrepancies as "
             "gone). Only %(latest)s or a later date can be run.") % {
        "date": run_date.isoformat(), "latest": latest.isoformat()}


def check_run_date(run_date: date) -> None:
    """An extract is the agency's data of a day that has happened, not older than the latest date
    reconciled (that date itself may be run again): any other date is refused."""
    if run_date > timezone.localdate():
        raise ValidationFailed(
            _("The extract's date %(date)s is in the future: an extract holds the data of a day that has passed.")
            % {"date": run_date.isoformat()},
            errors=[{"column": "run_date", "message": _("The date is in the future.")}], code="future_run_date")
    latest = latest_reconciled_date()
    if latest is not None and run_date < latest:
        raise ValidationFailed(
            stale_date_message(run_date, latest),
            errors=[{"column": "run_date", "message": _("The date is earlier than the latest date reconciled.")}],
            code="stale_run_date")


def reconcile_file(path: Path, *, run_date: date, actor) -> Outcome:
    """Reconcile one extract for run_date, as `actor`: who asked for it (the system user for the
    nightly job). Raises ValidationFailed (a date in the future, or before the latest date reconciled:
    nothing recorded), ExtractRejected (nothing changed), Conflict (another run is going on) or
    PermissionDenied (the actor may not run one)."""
    check_run_date(run_date)
    path = Path(path)
    with session_lock(LOCK) as taken:
        if not taken:
            raise Conflict(_("A reconciliation is already running; try again when it has finished."),
                           code="reconciliation_running")
        check_run_date(run_date)  # again under the lock: a newer date may have succeeded meanwhile
        _mark_interrupted(actor)
        run, attempt = _start_run(path, run_date, actor)
        try:
            counts = _reconcile(path, run, attempt, actor)
        except ExtractRejected as exc:
            # The file's checksum is kept so that only a corrected re-delivery is tried again.
            _stop(run, attempt, ReconciliationRun.Status.REJECTED, actor, error=exc.message, sha256=file_sha256(path))
            raise
        except Exception as exc:
            _stop(run, attempt, ReconciliationRun.Status.FAILED, actor, error=f"{exc.__class__.__name__}: {exc}")
            raise
        return Outcome(run=run, counts=counts, attempt=attempt)


def _mark_interrupted(actor) -> None:
    """Runs and attempts left RUNNING by a worker that died (this session holds the lock, so none is
    going on) become INTERRUPTED, whatever their date: the new run takes over."""
    Status = ReconciliationRun.Status
    now = timezone.now()
    with transaction.atomic():
        for run in ReconciliationRun.objects.filter(status=Status.RUNNING).order_by("pk"):
            transition(run, Status.INTERRUPTED, actor=actor, action="enrollment.reconciliation.interrupted",
                       changes={"error": _("Interrupted: the worker stopped before the run ended."),
                                "finished_at": now})
        ReconciliationAttempt.objects.filter(status=Status.RUNNING).update(
            status=Status.INTERRUPTED, finished_at=now,
            error=_("Interrupted: the worker stopped before the run ended."))


def _start_run(path: Path, run_date: date, actor) -> tuple[ReconciliationRun, ReconciliationAttempt]:
    """The date's run row, (re)started, and the try's attempt row. A retry of a date that has not
    succeeded starts clean (no earlier try's figures show as its own); a date that succeeded keeps
    its run as it is until this try succeeds too."""
    Status = ReconciliationRun.Status
    now = timezone.now()
    with transaction.atomic():
        run, _created = ReconciliationRun.objects.get_or_create(run_date=run_date)
        if run.status == Status.SUCCEEDED:
            move = begin_edit(run, actor=actor)
            changes = {"attempts": move.obj.attempts + 1}
        else:
            move = begin(run, Status.RUNNING, actor=actor)
            changes = {"file_name": path.name, "error": "", "file_sha256": "", "file_size": 0, "rows": 0,
                       "invalid_rows": 0, "opened": 0, "closed": 0, "counts": {}, "timings": {},
                       "attempts": move.obj.attempts + 1, "started_at": now, "finished_at": None,
                       "triggered_by": actor}
        run = finish(move, action="enrollment.reconciliation.started", changes=changes,
                     after={"file": path.name, "attempt": changes["attempts"]})
        attempt = ReconciliationAttempt.objects.create(run=run, number=run.attempts, file_name=path.name,
                                                       started_at=now, triggered_by=actor)
    return run, attempt


def _end_attempt(attempt: ReconciliationAttempt, status: str, **values) -> None:
    """The try's outcome, once: a compare-and-swap from RUNNING (in the caller's transaction)."""
    values = {"status": status, "finished_at": timezone.now(), **values}
    ReconciliationAttempt.objects.filter(pk=attempt.pk, status=ReconciliationRun.Status.RUNNING).update(**values)
    for name, value in values.items():
        setattr(attempt, name, value)


def _stop(run: ReconciliationRun, attempt: ReconciliationAttempt, status: str, actor, *, error: str,
          sha256: str = "") -> None:
    """A rejected or failed try: recorded as its attempt; the run takes its outcome only if the date has
    not succeeded (a successful run keeps its figures and SHA-256; the audit entry says what was tried)."""
    action = f"enrollment.reconciliation.{status.lower()}"
    with transaction.atomic():
        _end_attempt(attempt, status, error=error, file_sha256=sha256)
        run.refresh_from_db(fields=["status"])
        if run.status == ReconciliationRun.Status.SUCCEEDED:
            finish(begin_edit(run, actor=actor), action=action, after={
                "attempt": attempt.number, "file": attempt.file_name, "sha256": sha256, "error": error,
                "run_kept": True})
        else:
            transition(run, status, actor=actor, action=action,
                       changes={"error": error, "finished_at": attempt.finished_at, "file_sha256": sha256})


def _reconcile(path: Path, run: ReconciliationRun, attempt: ReconciliationAttempt, actor) -> dict[str, int]:
    """The night's work in one transaction; the run moves to SUCCEEDED in it (begin, then finish)."""
    watch = Stopwatch()
    lap, timings = watch.lap, watch.timings
    with transaction.atomic(), connection.cursor() as cur:
        move = begin(run, ReconciliationRun.Status.SUCCEEDED, actor=actor)
        night = system_user()
        closable = movable_from(Discrepancy, Discrepancy.Status.CLOSED, actor=night)
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
        # Closing what is gone looks each open discrepancy up here: an index, and statistics (a temp table has none).
        cur.execute("CREATE INDEX ON agency_found (id_number, kind, field)")
        cur.execute("ANALYZE agency_found")
        cur.execute("SELECT count(*) FILTER (WHERE kind = 'INVALID_ROW') FROM agency_found")
        invalid_rows = cur.fetchone()[0]
        lap("classify")
        cur.execute(sql.UPSERT, {"run_date": run.run_date})
        opened, seen = cur.fetchone()
        cur.execute(sql.CLOSE_GONE, {"run_date": run.run_date, "closable": closable})
        gone = cur.fetchall()
        finish_many(Discrepancy, Discrepancy.Status.CLOSED, gone, actor=night, action="enrollment.discrepancy.gone",
                    after={"close_reason": Discrepancy.CloseReason.GONE, "run_date": run.run_date.isoformat()})
        closed = len(gone)
        lap("upsert")
        cur.execute(sql.OPEN_COUNTS)
        counts = {kind: 0 for kind in KINDS} | dict(cur.fetchall())
        _end_attempt(attempt, ReconciliationRun.Status.SUCCEEDED, file_sha256=staged.sha256, file_size=staged.size,
                     rows=staged.rows)
        run = finish(move, action="enrollment.reconciliation.succeeded", changes={
            "file_name": path.name, "file_sha256": staged.sha256, "file_size": staged.size, "rows": staged.rows,
            "invalid_rows": invalid_rows, "opened": opened, "closed": closed, "counts": counts,
            "started_at": attempt.started_at, "finished_at": attempt.finished_at, "error": "",
            "triggered_by": actor,
            "timings": timings | {"total": round(sum(timings.values()), 3), "parsed_in_python": staged.parsed},
        }, after={"seen": seen, "attempt": attempt.number})
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
