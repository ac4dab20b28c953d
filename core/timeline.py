"""Audit entries as sentences: the timelines of a case, a person, a discrepancy, a problem.

Pages never show an entry's action code, its JSON, field names or stored codes: each app says how
its actions read, in an AuditText (its AppConfig's `audit_text`, see core.registry), and
`object_timeline` words an object's entries with every app's declarations:

    AUDIT_TEXT = AuditText(
        phrases={
            "enrollment.application.notice_issued": Phrase(
                _("%(actor)s issued the one-time notice %(letter)s."), facts=missing_items, note=None),
            "enrollment.application.review_started": _("%(actor)s started the review."),
        },
        labels={"rows": _("rows"),                   # keys that are not fields of the entry's model,
                "enrollment.person.name": _("Name")},  # or whose field's label reads badly here
        values={"source": StatusChange.Source},     # their values' labels
        redact=mask_numbers_in,                      # applied to every entry before it is worded
    )

A phrase is a translatable sentence with named placeholders, filled from the entry:

    %(actor)s          who did it, by display name (core.system.staff_name: the system user is 系统)
    %(object)s         the object as it was named when the entry was written
    %(letter)s         the letter issued with the change, title and number ("一次性告知书 GZ-2026-000005");
                       %(letter_number)s its number alone
    %(changes)s        each changed field by its label, before → after
    %(fields)s         the changed fields' labels
    %(<key>)s          a value the entry keeps after the change, in words: a choice by its label (the
                       model field's choices, or `values`), a user by display name, a list joined
    %(<key>_before)s   the same, before the change

plus whatever the phrase's `facts(entry)` returns (an `Entry`: its values in words, labels, users).
A placeholder the entry lacks reads as nothing. Labels are the model fields' verbose names, else
the app's `labels` ("app.model.key" first, then "key"); a key with neither is never shown. Every app's phrases are looked up by the
whole action code, then by its last part ("*.changed_in_admin"). An action no app declares still
reads as a sentence: a change of state, the labels of the changed fields, or "X changed Y"; never
as its code.

A letter kept in the same transaction as a change is written right after it in the chain (the
chain's lock is held to the commit), so `object_timeline` puts the letter into that change's
sentence. When that change's phrase names no letter, the letter came with the step before it, by
the same person, whose phrase names one (an approval that applies itself to the register, then its
letter: approved, registered, letter); failing that, and for a letter issued on its own, the letter
is a line of its own. A letter never goes unsaid. A timeline costs a fixed number of
queries however long it is: the entries with their actors, the object's letters (and their
entries when it has any), the other users the entries name (when they name any).
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .audit_views import object_history
from .models import AuditEntry, LetterRecord
from .registry import audit_texts
from .system import SYSTEM_USERNAME, staff_name

LETTER_TYPE = LetterRecord._meta.label_lower
NOT_SHOWN = frozenset({"note", "version", "updated_at"})  # keys no list of changes names


@dataclass(frozen=True)
class Phrase:
    """How one action reads. `note`: the key of `after` shown under the sentence (None: nothing)."""

    text: str
    facts: Callable[["Entry"], dict] | None = None
    note: str | None = "note"


@dataclass(frozen=True)
class AuditText:
    """An app's vocabulary for its audit entries (see the module's docstring)."""

    phrases: Mapping[str, "Phrase | str"] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)  # "key" or "app.model.key" -> label
    values: Mapping[str, object] = field(default_factory=dict)  # key -> TextChoices (or {value: label})
    user_keys: frozenset[str] = frozenset()  # keys holding a user's id that are no foreign key to users
    redact: Callable[[object], object] | None = None


@dataclass(frozen=True)
class _Vocabulary:
    phrases: dict
    labels: dict
    values: dict
    user_keys: frozenset
    redactors: tuple


def merge(texts: Iterable[AuditText]) -> _Vocabulary:
    phrases, labels, values, user_keys, redactors = {}, {}, {}, set(), []
    for text in texts:
        phrases.update({code: p if isinstance(p, Phrase) else Phrase(p) for code, p in text.phrases.items()})
        labels.update(text.labels)
        values.update(text.values)
        user_keys |= set(text.user_keys)
        if text.redact is not None:
            redactors.append(text.redact)
    return _Vocabulary(phrases, labels, values, frozenset(user_keys), tuple(redactors))


@lru_cache(maxsize=1)
def vocabulary() -> _Vocabulary:
    """Every app's AuditText, merged (read once: the phrases are lazy, so each request's language holds)."""
    return merge(audit_texts())


def _redact(value, redactors):
    for redactor in redactors:
        value = redactor(value)
    return value


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, key: str):
    if model is None:
        return None
    try:
        f = model._meta.get_field(key)
    except FieldDoesNotExist:
        f = next((f for f in model._meta.concrete_fields if f.attname == key), None)
    return f if f is not None and f.concrete else None


def _is_user_field(f) -> bool:
    return f is not None and f.is_relation and f.related_model is get_user_model()


def _explicit_label(f) -> str | None:
    """The field's verbose name when the model gives a translatable one (Django's default is the
    field's name, spaced: never shown)."""
    if f is None or not isinstance(f.verbose_name, Promise):
        return None
    return str(f.verbose_name)


def _choices(f, key: str, values: Mapping) -> dict:
    if f is not None:
        base = getattr(f, "base_field", None)  # an ArrayField of choices
        flat = f.flatchoices or (base.flatchoices if base is not None else None)
        if flat:
            return {str(k): v for k, v in flat}
    given = values.get(key)
    if given is None:
        return {}
    if isinstance(given, Mapping):
        return {str(k): v for k, v in given.items()}
    return {str(k): v for k, v in given.choices}


class _Blank(dict):
    def __missing__(self, key):
        return ""


class Entry:
    """One audit entry as a facts function sees it: its values in words, after redaction."""

    def __init__(self, row: AuditEntry, vocab: _Vocabulary, users: dict, letter: tuple[str, str] = ("", "")):
        self.row, self.vocab, self.users = row, vocab, users
        self.letter_title, self.letter_number = letter
        self.letter = f"{self.letter_title} {self.letter_number}".strip()
        self.action, self.at = row.action, row.at
        self.model = _model(row.object_type)
        self.before = _redact(row.before or {}, vocab.redactors)
        self.after = _redact(row.after or {}, vocab.redactors)
        self.object = _redact(row.object_repr or "", vocab.redactors)
        self.actor = self.user(row.actor_id) if row.actor_id else str(_("The system"))
        if not self.actor:
            self.actor = str(_("The system")) if row.actor_name == SYSTEM_USERNAME else row.actor_name

    def user(self, pk) -> str:
        return self.users.get(pk, "") if isinstance(pk, int) else ""

    def label(self, key: str, model=None) -> str | None:
        """The key's label: the model field's verbose name, else the app's; None when it has neither.
        `model`: read the key as a field of another model (a change the entry reports elsewhere)."""
        model = model or self.model
        labels = self.vocab.labels
        qualified = f"{model._meta.label_lower}.{key}" if model is not None else key
        if qualified in labels:
            return str(labels[qualified])
        label = _explicit_label(_field(model, key))
        if label is None and key in labels:
            label = str(labels[key])
        return label

    def words(self, key: str, value, model=None) -> str:
        """A stored value in words: a choice by its label, a user by name, a time in office time."""
        f = _field(model or self.model, key)
        if value is None or value == "" or value == [] or isinstance(value, dict):
            return ""
        if _is_user_field(f) or key in self.vocab.user_keys:
            return self.user(value)
        if isinstance(value, list):
            return "、".join(w for w in (self.words(key, v, model) for v in value) if w)
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        choices = _choices(f, key, self.vocab.values)
        if choices:
            return str(choices.get(str(value), value))
        if isinstance(f, models.DateTimeField) and isinstance(value, str):
            try:
                return timezone.localtime(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
            except ValueError:
                return value
        return str(value)

    def changed_keys(self) -> list[str]:
        """The keys the entry holds that have a label, in the model's order of its fields."""
        order = {f.name: n for n, f in enumerate(self.model._meta.fields)} if self.model is not None else {}
        keys = sorted({*self.before, *self.after}, key=lambda k: (order.get(k, len(order)), k))
        return [k for k in keys if k not in NOT_SHOWN and self.label(k) is not None
                and not isinstance(self.after.get(k, self.before.get(k)), dict)]

    def changes(self) -> str:
        parts = []
        for key in self.changed_keys():
            old, new = self.words(key, self.before.get(key)), self.words(key, self.after.get(key))
            if key in self.before and old != new:
                parts.append(_("%(field)s: %(old)s → %(new)s") % {"field": self.label(key), "old": old or "—",
                                                                   "new": new or "—"})
            elif new:
                parts.append(_("%(field)s: %(new)s") % {"field": self.label(key), "new": new})
        return "；".join(parts)

    def facts(self) -> dict:
        out = _Blank({f"{k}_before": self.words(k, v) for k, v in self.before.items()})
        out.update({k: self.words(k, v) for k, v in self.after.items()})
        out.update(actor=self.actor, object=self.object, letter=self.letter, letter_number=self.letter_number,
                   changes=self.changes(),
                   fields="、".join(self.label(k) for k in self.changed_keys()))
        return out


_SPACE_BEFORE_STOP = re.compile(r"\s+(?=[。，；：、）」”.,;:)])")


def _tidy(text: str) -> str:
    return _SPACE_BEFORE_STOP.sub("", re.sub(r"\s{2,}", " ", text)).strip()


def _generic(entry: Entry) -> str:
    """An action no app declares: a move of state, the changed fields by their labels, or the object."""
    before, after, changed = entry.before, entry.after, entry.changed_keys()
    if before.get("status") != after.get("status") and "status" in before and changed == ["status"]:
        return _("%(actor)s moved it from “%(status_before)s” to “%(status)s”.")
    if changed:
        return _("%(actor)s changed %(fields)s.")
    return _("%(actor)s changed %(object)s.")


def phrase_for(action: str) -> Phrase | None:
    phrases = vocabulary().phrases
    return phrases.get(action) or phrases.get("*." + action.rsplit(".", 1)[-1])


def sentence(entry: Entry) -> dict:
    """{at, actor, text, note, action} of one entry."""
    phrase = phrase_for(entry.action) or Phrase(_generic(entry))
    facts = entry.facts()
    extra = phrase.facts(entry) if phrase.facts is not None else {}
    facts.update(extra)
    text = _tidy(str(phrase.text) % facts)
    note = extra["note"] if "note" in extra else (entry.after.get(phrase.note) if phrase.note else "")
    redactors = entry.vocab.redactors
    return {"at": entry.at, "actor": entry.actor, "text": _redact(text, redactors),
            "note": _redact(str(note or ""), redactors), "action": entry.action}


def _user_ids(rows: Iterable[AuditEntry], user_keys: frozenset) -> set[int]:
    ids = set()
    for row in rows:
        if row.actor_id:
            ids.add(row.actor_id)
        model = _model(row.object_type)
        for data in (row.before or {}, row.after or {}):
            ids |= {v for k, v in data.items()
                    if isinstance(v, int) and (k in user_keys or _is_user_field(_field(model, k)))}
    return ids


def describe(rows: list[AuditEntry], letters: Mapping[int, tuple[str, str]] | None = None) -> list[dict]:
    """Audit entries as sentences, in their order; `letters` gives an entry's letter by its seq.
    At most one query (the users named that were not fetched with the entries), whatever their number."""
    vocab = vocabulary()
    users = {row.actor_id: staff_name(row.actor) for row in rows
             if row.actor_id and "actor" in row._state.fields_cache and row.actor is not None}
    wanted = _user_ids(rows, vocab.user_keys) - set(users)
    if wanted:
        users |= {u.pk: staff_name(u) for u in get_user_model().objects.filter(pk__in=wanted)}
    letters = letters or {}
    return [sentence(Entry(row, vocab, users, letters.get(row.seq, ("", "")))) for row in rows]


_LETTER_PLACEHOLDERS = ("%(letter)s", "%(letter_number)s")


def names_letter(action: str) -> bool:
    """Whether the action's sentence says which letter came with it."""
    phrase = phrase_for(action)
    return phrase is not None and any(p in str(phrase.text) for p in _LETTER_PLACEHOLDERS)


def _letter_goes_with(letter: AuditEntry, rows: dict[int, AuditEntry], earlier: dict[int, AuditEntry],
                      taken: dict) -> int | None:
    """The seq of the change whose sentence names `letter`, or None (a line of its own): the change
    written right before it, or, when that one's sentence names no letter, the object's change before
    that, by the same person, whose sentence does and has no letter yet."""
    change = rows.get(letter.seq - 1)
    if change is None:
        return None
    if names_letter(change.action):
        return change.seq
    step = earlier.get(change.seq)
    if (step is not None and step.seq not in taken and step.actor_id == change.actor_id == letter.actor_id
            and names_letter(step.action)):
        return step.seq
    return None


def object_timeline(obj, limit: int = 200) -> list[dict]:
    """An object's history in sentences, newest first: [{at, actor, text, note, action}].

    The letters issued for the object join the change they came with (or stand as their own line).
    """
    rows = list(object_history(obj, limit))
    letters = {str(pk): (title, number) for pk, title, number in LetterRecord.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)).values_list("pk", "title", "number")}
    by_seq = {}
    if letters:
        by_change = {row.seq: row for row in rows}
        ordered = sorted(rows, key=lambda row: row.seq)
        earlier = {later.seq: before for before, later in zip(ordered, ordered[1:], strict=False)}
        issued = list(AuditEntry.objects.filter(object_type=LETTER_TYPE, object_id__in=list(letters))
                      .select_related("actor").order_by("seq"))
        for row in issued:
            change = _letter_goes_with(row, by_change, earlier, by_seq)
            if change is not None:
                by_seq[change] = letters[row.object_id]
            else:  # issued on its own: a line of its own
                rows.append(row)
                by_seq[row.seq] = letters[row.object_id]
        rows.sort(key=lambda row: row.seq, reverse=True)
    return describe(rows[:limit], by_seq)


# -- core's own actions ---------------------------------------------------------------------------
CORE_TEXT = AuditText(
    phrases={
        "core.letter.issued": Phrase(gettext_lazy("%(actor)s issued %(letter)s."),
                                     facts=lambda e: {"letter": e.letter or e.after.get("number", "")}),
        "core.provider_access.granted": gettext_lazy("%(actor)s gave %(user)s access to %(object)s."),
        "core.provider_access.revoked": gettext_lazy("%(actor)s took access to %(object)s away from %(user)s."),
        "*.added_in_admin": gettext_lazy("%(actor)s added %(object)s in the administration."),
        "*.changed_in_admin": gettext_lazy("%(actor)s changed %(fields)s in the administration."),
        "*.deleted_in_admin": gettext_lazy("%(actor)s deleted %(object)s in the administration."),
        "*.password_changed_in_admin": gettext_lazy("%(actor)s set a new password in the administration."),
    },
)
