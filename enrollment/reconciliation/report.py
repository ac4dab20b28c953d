"""The nightly reconciliation report (PDF): where the comparison stands after one night's run.

Counts of open discrepancies by kind after the run, against the night before (the previous
succeeded run), with what was new and what closed that night; the twenty oldest still open
(identity numbers masked); a rejected or failed run says why. Rendered on core's Letter base, so
it carries a number (REC-…), a verification code and the embedded CJK font.

enrollment.services.reconciliation issues it once per finished run (the night does, after each
run); the page serves the kept copy. A run done again for its date finishes later than the kept
copy and gets a new report.
"""

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from core.audit_checkpoint import describe, read_checkpoint
from core.letters import Letter, esc, office_time, styles, table
from core.masking import mask_id_number
from core.models import LetterRecord

from ..models import Discrepancy, ReconciliationRun
from ..selectors.reconciliation import kind_counts, new_and_closed_by_kind, oldest_open, previous_run

KIND = "enrollment.reconciliation_report"
Status = ReconciliationRun.Status


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _kind_label(kind: str) -> str:
    return str(Discrepancy.Kind(kind).label) if kind in Discrepancy.Kind.values else kind


class ReconciliationReport(Letter):
    kind = KIND
    number_prefix = "REC"
    # For the office's own staff: no greeting, seal or service window. Its times are office time
    # (core.letters.office_time), as on the run's page: 05:41 UTC prints as 13:41 in Shanghai.
    signed = False
    shows_window = False

    def __init__(self, run: ReconciliationRun):
        super().__init__()
        self.run = run
        self.previous = previous_run(run)

    def title(self) -> str:
        return _("Nightly reconciliation report for %(date)s") % {"date": self.run.run_date.isoformat()}

    def body(self) -> list:
        s = styles()
        story = [*self._summary(s)]
        if self.run.status == Status.SUCCEEDED:
            story += self._by_kind(s)
        else:
            story += self._why(s)
        story += self._oldest(s)
        return story

    # -- parts ---------------------------------------------------------------------------------
    def _summary(self, s) -> list:
        run = self.run
        rows = [
            [_("Date of the extract"), run.run_date.isoformat()],
            [_("Status"), str(run.get_status_display())],
            [_("File"), esc(run.file_name or "—")],
            [_("SHA-256"), run.file_sha256 or "—"],
            [_("Rows"), str(run.rows)],
            [_("Invalid rows"), str(run.invalid_rows)],
            [_("New tonight"), str(run.opened)],
            [_("Closed tonight"), str(run.closed)],
            [_("Night before"), self.previous.run_date.isoformat() if self.previous else _("no earlier run")],
        ]
        if run.finished_at:
            rows.append([_("Finished"), office_time(run.finished_at)])
        rows.append([_("Report printed"), office_time()])
        rows.append([_("Audit checkpoint"), describe(read_checkpoint())])
        return [Paragraph(_("Summary"), s["heading"]), table(rows, col_widths=[40 * mm, 130 * mm], header=False)]

    def _by_kind(self, s) -> list:
        now = kind_counts(self.run.counts)
        before = kind_counts(self.previous.counts) if self.previous else None
        night = new_and_closed_by_kind(self.run.run_date)
        rows = [[_("Kind"), _("Open after the run"), _("Night before"), _("Change"), _("New tonight"),
                 _("Closed tonight")]]
        for kind, n in now.items():
            rows.append([_kind_label(kind), str(n), str(before[kind]) if before else "—",
                         _signed(n - before[kind]) if before else "—", str(night[kind]["new"]),
                         str(night[kind]["closed"])])
        total_before = sum(before.values()) if before else None
        rows.append([_("Total"), str(sum(now.values())), "—" if before is None else str(total_before),
                     "—" if before is None else _signed(sum(now.values()) - total_before),
                     str(sum(v["new"] for v in night.values())), str(sum(v["closed"] for v in night.values()))])
        return [
            Paragraph(_("Open discrepancies by kind"), s["heading"]),
            table(rows, col_widths=[42 * mm, 28 * mm, 26 * mm, 22 * mm, 26 * mm, 26 * mm]),
        ]

    def _why(self, s) -> list:
        run = self.run
        if run.status == Status.REJECTED:
            text = _("The agency's file was rejected and nothing was changed: %(error)s")
        else:
            text = _("The run failed and nothing was changed; it can simply be run again: %(error)s")
        story = [Paragraph(_("Why there are no new counts"), s["heading"]),
                 Paragraph(esc(text % {"error": run.error or ""}), s["body"])]
        if self.previous:
            story.append(Paragraph(
                _("The open discrepancies stand as after the run of %(date)s: %(counts)s.") % {
                    "date": self.previous.run_date.isoformat(),
                    "counts": esc(", ".join(f"{_kind_label(k)} {n}"
                                            for k, n in kind_counts(self.previous.counts).items())),
                }, s["body"]))
        return story

    def _oldest(self, s) -> list:
        rows = [[_("First seen"), _("Nights"), _("Kind"), _("Identity number"), _("Field")]]
        for d in oldest_open(self.run.run_date, 20):
            rows.append([d.first_seen.isoformat(), str(d.nights_seen), _kind_label(d.kind),
                         esc(mask_id_number(d.id_number)), esc(d.field or "—")])
        story = [Spacer(1, 2 * mm), Paragraph(_("The oldest open discrepancies"), s["heading"])]
        if len(rows) == 1:
            return [*story, Paragraph(_("None: every discrepancy is closed."), s["body"])]
        return [*story, table(rows, col_widths=[28 * mm, 18 * mm, 40 * mm, 50 * mm, 34 * mm])]


def kept_report(run: ReconciliationRun) -> LetterRecord | None:
    """The report already issued for this run's latest finish, if any."""
    letter = (LetterRecord.objects.filter(kind=KIND, object_type=run._meta.label_lower, object_id=str(run.pk))
              .order_by("-issued_at", "-id").first())
    if letter is None or (run.finished_at and letter.issued_at < run.finished_at):
        return None
    return letter

