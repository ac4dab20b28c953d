"""Checking a received batch against the format (spec/claims-upload.md): all or nothing.

The file's rows go to a staging table with COPY, never all in memory: a regular CSV file parsed by
PostgreSQL itself (settlement.checking.fastcsv), anything else streamed row by row from the reader. The
format checks run as set-based SQL (settlement.checking.sql), and then, in the same transaction, either every
error is written to the batch's error report and the batch is `rejected`, or its claims and lines are
inserted (two INSERT … SELECT) and it is `accepted`.

Idempotent by data and safe to kill: the work is one transaction holding the batch's row lock, so a
worker killed midway leaves the batch `received` with nothing of the check, and the next attempt (the
task redelivered, or settlement.tasks.recheck_received_batches) begins again from the file; a batch that
is no longer `received` is left as it is. Checks of one provider's batches take turns (an advisory
lock), so that a claim_no in two batches checked at once is reported on the second, never accepted twice.
"""

import logging
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from core.errors import TooLarge
from core.locks import xact_lock
from core.system import system_user
from core.workflow import transition

from ..checking import sql
from ..checking.columns import COLUMNS, HEADER_REQUIRED, KEYS, POSITION
from ..checking.fastcsv import copy_csv
from ..checking.table import Column, Limits, UnreadableFile, as_text, open_table
from ..models import BatchError, ClaimBatch
from .upload import MAX_LINES

log = logging.getLogger(__name__)
Status = ClaimBatch.Status

READER_COLUMNS = [Column(c.key, required=False) for c in COLUMNS]  # the header's columns are checked here
# The header comes on top of the claim lines (the upload counted them exactly already); a value longer
# than max_field refuses the file (the columns' indexes hold far less than PostgreSQL's B-tree row limit).
LIMITS = Limits(max_lines=MAX_LINES + 1, max_columns=64, max_field=1000)


@dataclass
class Staged:
    rows: int = 0
    encoding: str = ""
    present: set = field(default_factory=set)  # the columns the file has
    errors: list = field(default_factory=list)  # BatchError of the file as a whole and its header


def check_batch(*, batch: ClaimBatch) -> ClaimBatch:
    """Check a received batch: `accepted` with its claims and lines, or `rejected` with its complete error
    report. Returns the batch as it is afterwards."""
    started = time.perf_counter()
    with transaction.atomic():
        # The batch's row only: locking the provider's row too would block every other upload of the provider
        # at its commit (its foreign key) while this check waits for the audit chain that upload holds.
        locked = ClaimBatch.objects.select_for_update(of=("self",)).select_related("provider").get(pk=batch.pk)
        if locked.status != Status.RECEIVED:
            return locked
        xact_lock(f"settlement.claims.provider.{locked.provider_id}")
        with connection.cursor() as cur:
            # The staging table has no statistics: no merge joins sorting wide rows, and no JIT for plans the
            # planner misjudges by orders of magnitude (it compiled for longer than the check ran).
            cur.execute("SET LOCAL work_mem = '128MB'; SET LOCAL jit = off; SET LOCAL enable_mergejoin = off")
            staged = _stage(cur, locked)
            errors = _check(cur, locked, staged)
            if errors:
                result = _reject(locked, staged, errors)
            else:
                result = _accept(cur, locked, staged)
    log.info("batch %s %s: %s lines, %s errors in %.2f s", result.pk, result.status, result.line_count,
             result.error_count, time.perf_counter() - started)
    return result


def _stage(cur, batch: ClaimBatch) -> Staged:
    """COPY the file's rows into the staging table, as text: a regular CSV file by PostgreSQL's own parser,
    anything else row by row as the reader reads it."""
    staged = Staged(encoding=batch.encoding)
    cur.execute(sql.CREATE_STAGE)
    with batch.file.open("rb") as f:
        fast = (copy_csv(cur, f, encoding=batch.encoding, max_field=LIMITS.max_field)
                if batch.file_format == ClaimBatch.Format.CSV else None)
        if fast is not None:
            headers, staged.rows = fast
            staged.present, header_row = set(headers), 1
        else:
            header_row = _stage_rows(cur, batch, f, staged)
    if header_row is not None or staged.rows:
        staged.errors += [BatchError(row=header_row, column=key, position=POSITION[key], code="column_missing")
                          for key in HEADER_REQUIRED if key not in staged.present]
    if not staged.rows and not staged.errors:
        staged.errors.append(BatchError(row=None, code="no_lines"))
    return staged


def _stage_rows(cur, batch: ClaimBatch, f, staged: Staged) -> int | None:
    """Read the file with the reader and COPY its rows as they come; returns the header's row."""
    failure = []

    def rows(table, keys):
        try:
            for row in table.rows():
                staged.rows += 1
                values = row.values
                yield (row.number, *[v if v.__class__ is str else as_text(v) for v in map(values.get, keys)])
        except (UnreadableFile, TooLarge) as exc:  # further down the file: reported, the batch rejected
            failure.append(exc)

    try:
        table = open_table(f, name=batch.original_name, columns=READER_COLUMNS, limits=LIMITS)
    except (UnreadableFile, TooLarge) as exc:
        staged.errors.append(_file_error(exc))
        return None
    staged.encoding = table.encoding
    staged.present = set(KEYS) if table.format == ClaimBatch.Format.JSON else set(table.columns)
    keys = [k for k in KEYS if k in staged.present]
    with cur.copy(f"COPY {sql.STAGE} (row_no, {', '.join(keys)}) FROM STDIN") as copy:
        for values in rows(table, keys):
            copy.write_row(values)
    staged.errors += [_file_error(exc) for exc in failure]
    return table.header_row


def _file_error(exc) -> BatchError:
    return BatchError(row=None, code="unreadable", detail={"message": str(exc.message), "reason": exc.code})


def _check(cur, batch: ClaimBatch, staged: Staged) -> int:
    """Write every error of the file to its report; return how many there are."""
    for error in staged.errors:
        error.batch = batch
    BatchError.objects.bulk_create(staged.errors)
    count = len(staged.errors)
    if any(e.code == "unreadable" for e in staged.errors) or not staged.rows:
        return count
    params = {"batch": batch.pk, "provider": batch.provider_id}
    cur.execute(sql.BAD_VALUES)
    statements = [sql.row_errors(staged.present)]
    if "claim_no" in staged.present:
        statements += [sql.LINE_NO_TWICE, sql.CLAIM_FIELDS_DIFFER, sql.CLAIM_NO_ACCEPTED]
    if {"days_supply", "item_code", "service_date", "visit_type"} <= staged.present:
        statements.append(sql.days_supply_missing())
    for statement in statements:
        cur.execute(statement, params)
        count += cur.rowcount
    return count


def _reject(batch: ClaimBatch, staged: Staged, errors: int) -> ClaimBatch:
    return transition(batch, Status.REJECTED, actor=system_user(), changes={
        "error_count": errors, "line_count": staged.rows, "encoding": staged.encoding or batch.encoding,
        "checked_at": timezone.now()})


def _accept(cur, batch: ClaimBatch, staged: Staged) -> ClaimBatch:
    params = {"batch": batch.pk, "provider": batch.provider_id}
    cur.execute(sql.INSERT_CLAIMS, params)
    cur.execute(sql.INSERT_LINES, params)
    cur.execute(sql.TOTALS)
    lines, claims, total = cur.fetchone()
    return transition(batch, Status.ACCEPTED, actor=system_user(), changes={
        "line_count": lines, "claim_count": claims, "total_claimed": total, "error_count": 0,
        "encoding": staged.encoding, "checked_at": timezone.now()})

