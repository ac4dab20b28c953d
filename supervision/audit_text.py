"""How the problem ledger's audit entries read on a problem's page (core.timeline):
"王芳 交办给 李娜（参保登记科），限 2027-01-10 前整改。"."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.timeline import AuditText, Entry, Phrase


def _whom(entry: Entry) -> dict:
    """The staff member and the unit the problem was given to, as one phrase."""
    person = entry.words("assignee", entry.after.get("assignee"))
    unit = entry.after.get("responsible_unit") or ""
    if person and unit:
        return {"whom": _("%(person)s (%(unit)s)") % {"person": person, "unit": unit}}
    return {"whom": person or unit}


AUDIT_TEXT = AuditText(
    phrases={
        "supervision.problem.raised": gettext_lazy("%(actor)s recorded the problem in the ledger."),
        "supervision.problem.reported_again": Phrase(
            gettext_lazy("%(actor)s reported it again (%(n)s reports in all)."),
            facts=lambda e: {"n": e.words("times_reported", e.after.get("times_reported"))}),
        "supervision.problem.assigned": Phrase(
            gettext_lazy("%(actor)s assigned it to %(whom)s, to be rectified by %(deadline)s."), facts=_whom),
        "supervision.problem.reassigned": Phrase(
            gettext_lazy("%(actor)s handed it on to %(whom)s, to be rectified by %(deadline)s."), facts=_whom),
        "supervision.problem.deadline_set": gettext_lazy("%(actor)s set the deadline to %(deadline)s."),
        "supervision.problem.rectified": Phrase(
            gettext_lazy("%(actor)s recorded the rectification: %(text)s"),
            facts=lambda e: {"text": e.after.get("rectification", "")}),
        "supervision.problem.closed": gettext_lazy("%(actor)s closed the problem."),
        "supervision.problem.reopened": gettext_lazy("%(actor)s reopened the problem."),
    },
)
