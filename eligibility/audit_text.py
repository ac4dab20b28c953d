"""How eligibility's registration entries read on a registration's page (core.timeline):
"系统 登记了备案 转外就医 ZW20260001（批准日期 2026-09-01）。"."""

from pathlib import PurePath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.timeline import AuditText, Entry, Phrase

from .models import Registration


def _registration(entry: Entry) -> dict:
    """The registration by its kind's label and number (a loaded one's entry names its kind by code)."""
    after = entry.after
    if not after.get("number"):
        return {"registration": entry.object}
    kind = entry.words("kind", after.get("kind"), Registration)
    return {"registration": " ".join(x for x in (kind, str(after["number"])) if x)}


def _changed(entry: Entry) -> dict:
    """The fields a load changed, by their labels, before → after (the entry keeps every field)."""
    parts = []
    for key, new in entry.after.items():
        old = entry.before.get(key)
        label = entry.label(key, Registration)
        if old == new or label is None or key in ("person", "kind", "number"):
            continue
        parts.append(_("%(field)s: %(old)s → %(new)s") % {
            "field": label, "old": entry.words(key, old, Registration) or "—",
            "new": entry.words(key, new, Registration) or "—"})
    return {**_registration(entry), "changes": "；".join(parts) or _("nothing that shows here")}


def _file(entry: Entry) -> dict:
    """The loaded file by its name (the entry keeps the path on the server, which pages never show)."""
    return {"file": PurePath(str(entry.after.get("file") or "")).name}


AUDIT_TEXT = AuditText(
    phrases={
        "eligibility.registration.created": Phrase(
            gettext_lazy("%(actor)s recorded the registration %(registration)s (approved on %(approved_on)s)."),
            facts=_registration),
        "eligibility.registration.updated": Phrase(
            gettext_lazy("%(actor)s updated the registration %(registration)s from a loaded file: %(changes)s."),
            facts=_changed),
        "eligibility.registration.revoked": Phrase(
            gettext_lazy("%(actor)s revoked the registration."), note="note"),
        "eligibility.registration.used": Phrase(
            gettext_lazy("%(actor)s recorded the referral's first use in time, on %(first_used_on)s."),
            note="reference"),
        "eligibility.registrations.loaded": Phrase(
            gettext_lazy("%(actor)s loaded the registrations file %(file)s: %(created)s new, %(updated)s updated, "
                         "%(unchanged)s unchanged."), facts=_file, note=None),
    },
)
