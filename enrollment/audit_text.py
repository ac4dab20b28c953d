"""How enrollment's audit entries read on its pages (core.timeline): a case's, a person's, an
employer's, a discrepancy's and a reconciliation run's history, as sentences with staff names.

Identity numbers quoted in an entry are masked before it is worded (`redact`).
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.timeline import AuditText, Entry, Phrase

from . import materials
from .forms.reconciliation import FIELD_LABELS
from .models import Material, Person, StatusChange
from .selectors.register import mask_numbers_in, reference_text


def _checked(entry: Entry) -> dict:
    """{code: [state, note]} of the materials ticked, as "劳动合同：缺失（过期）；身份证复印件：已提供"."""
    states = dict(Material.State.choices)
    parts = []
    for code, value in entry.after.items():
        state, note = (list(value) + ["", ""])[:2] if isinstance(value, list) else (value, "")
        text = f"{materials.material_label(code)}：{states.get(state, state)}"
        parts.append(_("%(item)s (%(note)s)") % {"item": text, "note": note} if note else text)
    return {"materials": "；".join(parts)}


def _missing(entry: Entry) -> dict:
    """The notice's items: the entry's note lists their codes."""
    codes = [c.strip() for c in str(entry.after.get("note", "")).split(",")]
    return {"missing": "、".join(materials.material_label(c) for c in codes if c)}


def _reasons(entry: Entry) -> dict:
    return {"reasons": "、".join(str(materials.REJECTION_REASONS.get(r, _("another reason")))
                                 for r in entry.after.get("decision_reasons") or [])}


def _source(entry: Entry) -> dict:
    """Where a change to the register came from: "（依据 SQ-2026-000001）", "（比对不一致 #12）"."""
    reference = reference_text(entry.after.get("reference", ""))
    source = entry.words("source", entry.after.get("source"))
    where = " ".join(x for x in (source, reference) if x)
    return {"source": _("(%(where)s)") % {"where": where} if where else ""}


def _taken(entry: Entry) -> dict:
    """The agency's values written to the register, by the person's field labels."""
    changes = entry.after.get("changes")
    if not isinstance(changes, dict):
        return {"taken": _("the person was entered in the register") if entry.after.get("person") else ""}
    parts = [_("%(field)s: %(new)s") % {"field": entry.label(k, Person) or _("another field"),
                                         "new": entry.words(k, v, Person) or "—"} for k, v in changes.items()]
    return {"taken": "；".join(parts)}


def _try(entry: Entry) -> dict:
    """The file and the attempt a run's start names: `file` and `attempt` are in every start's entry (a
    retry of a date that succeeded changes no file_name on the run, so it is not among the changes)."""
    after = entry.after
    return {"file": str(after.get("file") or after.get("file_name") or ""),
            "attempt": str(after.get("attempt") or after.get("attempts") or "")}


AUDIT_TEXT = AuditText(
    phrases={
        # a case at the window
        "enrollment.application.created": gettext_lazy(
            "%(actor)s entered the case %(object)s as a draft (not submitted yet: no time limit runs)."),
        "enrollment.application.materials_checked": Phrase(
            gettext_lazy("%(actor)s checked the materials: %(materials)s."), facts=_checked, note=None),
        "enrollment.application.roster_uploaded": gettext_lazy(
            "%(actor)s uploaded the staff list %(file)s: %(rows)s rows, %(errors)s errors."),
        "enrollment.application.roster_refused": gettext_lazy(
            "%(actor)s uploaded %(file)s, which could not be read: it was not kept."),
        "enrollment.application.submitted": gettext_lazy(
            "%(actor)s submitted the case; it is due by %(due_date)s."),
        "enrollment.application.notice_issued": Phrase(
            gettext_lazy("%(actor)s issued the one-time notice %(letter_number)s: missing %(missing)s."),
            facts=_missing, note=None),
        "enrollment.application.resubmitted": gettext_lazy(
            "%(actor)s recorded that the missing materials were brought; the case is due by %(due_date)s."),
        "enrollment.application.review_started": gettext_lazy("%(actor)s started the review."),
        "enrollment.application.approved": Phrase(
            gettext_lazy("%(actor)s approved the case and issued %(letter)s."), note="decision_note"),
        "enrollment.application.rejected": Phrase(
            gettext_lazy("%(actor)s rejected the case (%(reasons)s) and issued %(letter)s."), facts=_reasons,
            note="decision_note"),
        "enrollment.application.registered": gettext_lazy("%(actor)s applied the case to the register."),
        "enrollment.application.overdue_reported": gettext_lazy(
            "%(actor)s reported the case to the problem ledger: it was due by %(due_date)s."),
        # the register
        "enrollment.person.registered": Phrase(
            gettext_lazy("%(actor)s entered %(object)s in the register: %(insurance_type)s, %(status)s from "
                         "%(status_date)s %(source)s."), facts=_source),
        "enrollment.person.changed": Phrase(
            gettext_lazy("%(actor)s changed the register: %(changes)s %(source)s."), facts=_source),
        "enrollment.person.id_number_viewed": gettext_lazy("%(actor)s viewed the full identity number."),
        "enrollment.employer.registered": gettext_lazy("%(actor)s registered the employer %(object)s."),
        "enrollment.register.loaded": gettext_lazy("%(actor)s loaded the register from %(object)s."),
        "enrollment.register.seeded": gettext_lazy("%(actor)s loaded the demo register."),
        "enrollment.register.exported": gettext_lazy("%(actor)s exported a list of persons."),
        # the nightly comparison
        "enrollment.discrepancy.agency_value_taken": Phrase(
            gettext_lazy("%(actor)s took the agency's value: %(taken)s."), facts=_taken, note="resolution_note"),
        "enrollment.discrepancy.ours_kept": Phrase(
            gettext_lazy("%(actor)s kept our value, to be reported back to the agency."), note="resolution_note"),
        "enrollment.discrepancy.escalated": Phrase(
            gettext_lazy("%(actor)s escalated it to the problem ledger."), note="resolution_note"),
        "enrollment.discrepancy.gone": gettext_lazy(
            "%(actor)s closed it: the difference was no longer in the agency's extract of %(run_date)s."),
        "enrollment.discrepancy.reported_back": gettext_lazy(
            "%(actor)s reported %(count)s kept discrepancies back to the agency."),
        "enrollment.discrepancy.exported": gettext_lazy(
            "%(actor)s exported %(count)s discrepancies with full identity numbers."),
        "enrollment.reconciliation.requested": gettext_lazy(
            "%(actor)s asked for the reconciliation of %(date)s with %(file)s."),
        "enrollment.reconciliation.started": Phrase(
            gettext_lazy("%(actor)s started the reconciliation of the file %(file)s (attempt %(attempt)s)."),
            facts=_try),
        "enrollment.reconciliation.succeeded": gettext_lazy(
            "%(actor)s finished the reconciliation: %(rows)s rows read, %(opened)s new discrepancies, "
            "%(closed)s closed."),
        "enrollment.reconciliation.rejected": Phrase(
            gettext_lazy("%(actor)s refused the file; nothing was changed."), note="error"),
        "enrollment.reconciliation.failed": Phrase(
            gettext_lazy("%(actor)s stopped the reconciliation on an unexpected error; nothing was changed."),
            note=None),
    },
    labels={
        "materials": gettext_lazy("materials"), "file": gettext_lazy("file"), "rows": gettext_lazy("rows"),
        "errors": gettext_lazy("errors"),
        # a person's fields as the register's pages name them
        **{f"enrollment.person.{key}": label for key, label in FIELD_LABELS.items()},
        "enrollment.person.phone": gettext_lazy("Phone"), "enrollment.person.address": gettext_lazy("Address"),
        "decided_by": gettext_lazy("decided by"), "resolved_by": gettext_lazy("resolved by"),
        "reviewer": gettext_lazy("reviewer"), "triggered_by": gettext_lazy("started by"),
    },
    values={"source": StatusChange.Source},
    redact=mask_numbers_in,
)
