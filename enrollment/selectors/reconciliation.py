"""Reads of the nightly comparison: runs and discrepancies.

Every read here is set-based: a page of discrepancies is one query, the runs behind the trend
chart are one query, counts by kind are one GROUP BY. Identity numbers leave here as stored;
pages and exports mask them (core.masking).
"""

from datetime import date, timedelta

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from core.locks import held_by_anyone

from ..models import Discrepancy, ReconciliationAttempt, ReconciliationRun
from ..reconciliation.sql import describe

__all__ = [
    "DiscrepancyState", "discrepancies_for_list", "discrepancy_state", "kind_counts", "new_and_closed_by_kind",
    "oldest_open", "open_discrepancies", "previous_run", "reason_text", "reason_words", "recent_runs",
    "reconciliation_in_progress", "run_attempts", "runs_for_chart", "shown_status",
]

KINDS = tuple(Discrepancy.Kind.values)
Resolution = Discrepancy.Resolution


class DiscrepancyState:
    """The list's states: what is left to work, what waits on the agency, what the ledger has, what is done."""

    OPEN = "open"  # open, not resolved yet
    KEPT = "kept"  # open, ours kept: to be reported back, waiting for the agency to agree
    ESCALATED = "escalated"  # open, raised in the problem ledger by a clerk
    CLOSED = "closed"  # gone from the extract, or resolved


def open_discrepancies():
    return Discrepancy.objects.filter(closed_on__isnull=True)


_STATE_FILTERS = {
    DiscrepancyState.OPEN: Q(closed_on__isnull=True, resolution=Resolution.NONE),
    DiscrepancyState.KEPT: Q(closed_on__isnull=True, resolution=Resolution.KEEP_OURS),
    DiscrepancyState.ESCALATED: Q(closed_on__isnull=True, resolution=Resolution.ESCALATED),
    DiscrepancyState.CLOSED: Q(closed_on__isnull=False),
}


def discrepancy_state(d: Discrepancy) -> str:
    if d.closed_on is not None:
        return DiscrepancyState.CLOSED
    return {Resolution.KEEP_OURS: DiscrepancyState.KEPT,
            Resolution.ESCALATED: DiscrepancyState.ESCALATED}.get(d.resolution, DiscrepancyState.OPEN)


def discrepancies_for_list(*, state: str = DiscrepancyState.OPEN, kind: str = "", field: str = "",
                     min_age: int | None = None, max_age: int | None = None, id_prefix: str = "",
                     today: date | None = None):
    """The discrepancy list's QuerySet, filtered; oldest first (closed ones: latest closed first).

    Ages are in days since first seen. The indexes it reads: discrepancy_open_idx (open, by kind
    and age), discrepancy_id_prefix_idx (the number prefix), discrepancy_closed_idx (closed).
    """
    today = today or timezone.localdate()
    qs = Discrepancy.objects.filter(_STATE_FILTERS[state])
    if kind:
        qs = qs.filter(kind=kind)
    if field:
        qs = qs.filter(field=field)
    if min_age is not None:
        qs = qs.filter(first_seen__lte=today - timedelta(days=min_age))
    if max_age is not None:
        qs = qs.filter(first_seen__gte=today - timedelta(days=max_age))
    if id_prefix:
        qs = qs.filter(id_number__startswith=id_prefix.upper())
    if state == DiscrepancyState.CLOSED:
        return qs.order_by("-closed_on", "-id")
    return qs.order_by("first_seen", "id")


def reason_words(reason: str) -> list[tuple[str, str]]:
    """An INVALID_ROW's reason codes ("id_number:check gender:value") as (column, words) pairs."""
    return [describe(code) for code in (reason or "").split()]


def reason_text(reason: str) -> str:
    """The same as one line of text, for exports and the report."""
    return "; ".join(f"{column}: {words}" if column else words for column, words in reason_words(reason))


# --- runs ------------------------------------------------------------------------------------------

def recent_runs():
    """Runs, latest date first (the run list), with who started them and how their latest try ended
    (`latest_try`: a date that succeeded keeps its run when a later try is rejected)."""
    latest = ReconciliationAttempt.objects.filter(run=OuterRef("pk")).order_by("-number").values("status")[:1]
    return (ReconciliationRun.objects.select_related("triggered_by").annotate(latest_try=Subquery(latest))
            .order_by("-run_date"))


def run_attempts(run: ReconciliationRun, limit: int = 50):
    """A run's tries, latest first, with who started each."""
    return ReconciliationAttempt.objects.filter(run=run).select_related("triggered_by").order_by("-number")[:limit]


def reconciliation_in_progress() -> bool:
    """Whether a run is going on now: a session holds the reconciliation's advisory lock."""
    from ..reconciliation.engine import LOCK

    return held_by_anyone(LOCK)


def shown_status(status: str, in_progress: bool) -> str:
    """A run's or a try's state as the pages show it: RUNNING while no session holds the lock is
    INTERRUPTED (its worker was killed; the next run takes over and records it so)."""
    Status = ReconciliationRun.Status
    return Status.INTERRUPTED if status == Status.RUNNING and not in_progress else status


def runs_for_chart(limit: int = 60) -> list[ReconciliationRun]:
    """The last `limit` succeeded runs, oldest first, with their open counts by kind: one query."""
    rows = list(ReconciliationRun.objects.filter(status=ReconciliationRun.Status.SUCCEEDED)
                .only("id", "run_date", "counts").order_by("-run_date")[:limit])
    rows.reverse()
    return rows


def previous_run(run: ReconciliationRun) -> ReconciliationRun | None:
    """The last succeeded run before this one's date: "the night before"."""
    return (ReconciliationRun.objects.filter(status=ReconciliationRun.Status.SUCCEEDED, run_date__lt=run.run_date)
            .order_by("-run_date").first())


def kind_counts(counts: dict | None) -> dict[str, int]:
    """A run's stored counts with every kind present (zeros included), in the kinds' order."""
    counts = counts or {}
    return {kind: int(counts.get(kind, 0)) for kind in KINDS}


def new_and_closed_by_kind(run_date: date) -> dict[str, dict[str, int]]:
    """{kind: {"new": n, "closed": n}} for a night: first seen that night, closed as gone that night.

    One query over two conditions (first_seen, closed_on), whatever has happened since.
    """
    rows = (Discrepancy.objects.filter(Q(first_seen=run_date) | Q(closed_on=run_date))
            .order_by().values("kind")
            .annotate(new=Count("id", filter=Q(first_seen=run_date)),
                      closed=Count("id", filter=Q(closed_on=run_date,
                                                  close_reason=Discrepancy.CloseReason.GONE))))
    out = {kind: {"new": 0, "closed": 0} for kind in KINDS}
    for row in rows:
        out[row["kind"]] = {"new": row["new"], "closed": row["closed"]}
    return out


def oldest_open(on: date, limit: int = 20):
    """The oldest discrepancies that were open after the night of `on` (first seen by then, not closed)."""
    return (Discrepancy.objects.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on), first_seen__lte=on)
            .only("id", "kind", "id_number", "field", "first_seen", "last_seen", "nights_seen", "closed_on")
            .order_by("first_seen", "id")[:limit])
