"""A problem's history as sentences ("王芳 交办给 李娜（参保登记科），限 2027-01-10 前整改。").

Built from the problem's audit entries: the action code picks the sentence, and the entry's before
and after fill it in. Staff are named by their display names (one query for all the entries);
codes, field names and raw values never reach the page.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from core.audit_views import object_history

from .models import Problem
from .selectors import staff_name


def _status(value) -> str:
    try:
        return str(Problem.Status(value).label)
    except ValueError:
        return _("another state")


def _whom(after: dict, names: dict) -> str:
    person = names.get(after.get("assignee")) if after.get("assignee") else ""
    unit = after.get("responsible_unit") or ""
    if person and unit:
        return _("%(person)s (%(unit)s)") % {"person": person, "unit": unit}
    return person or unit


def _sentence(entry, actor: str, names: dict) -> str:
    before, after = entry.before or {}, entry.after or {}
    action = entry.action.rsplit(".", 1)[-1]
    facts = {"actor": actor, "whom": _whom(after, names), "deadline": after.get("deadline") or "",
             "n": after.get("times_reported", ""), "text": after.get("rectification", "")}
    if action == "raised":
        return _("%(actor)s recorded the problem in the ledger.") % facts
    if action == "reported_again":
        return _("%(actor)s reported it again (%(n)s reports in all).") % facts
    if action == "assigned":
        return _("%(actor)s assigned it to %(whom)s, to be rectified by %(deadline)s.") % facts
    if action == "reassigned":
        return _("%(actor)s handed it on to %(whom)s, to be rectified by %(deadline)s.") % facts
    if action == "deadline_set":
        return _("%(actor)s set the deadline to %(deadline)s.") % facts
    if action == "rectified":
        return _("%(actor)s recorded the rectification: %(text)s") % facts
    if action == "closed":
        return _("%(actor)s closed the problem.") % facts
    if action == "reopened":
        return _("%(actor)s reopened the problem.") % facts
    if "status" in before and "status" in after and before["status"] != after["status"]:
        return _("%(actor)s moved it from “%(from)s” to “%(to)s”.") % {
            "actor": actor, "from": _status(before["status"]), "to": _status(after["status"])}
    return _("%(actor)s changed the problem.") % facts


def problem_timeline(problem: Problem, limit: int = 200) -> list[dict]:
    """[{at, text, note}] newest first, in two queries however many entries there are."""
    entries = list(object_history(problem, limit))
    ids = {e.actor_id for e in entries if e.actor_id}
    ids |= {(e.after or {}).get("assignee") for e in entries} - {None}
    users = get_user_model().objects.filter(pk__in=[i for i in ids if isinstance(i, int)])
    names = {u.pk: staff_name(u) for u in users}
    out = []
    for e in entries:
        actor = names.get(e.actor_id) if e.actor_id else _("The system")
        out.append({"at": e.at, "text": _sentence(e, actor or e.actor_name, names),
                    "note": (e.after or {}).get("note", "")})
    return out
