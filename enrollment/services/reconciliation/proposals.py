"""Register changes that take two people (issue 14): taking the agency's value of discrepancies is
proposed by one user, after a preview of every change, and applied only when another person, a
reviewer or a senior reviewer, confirms it.

plan_take_agency() is the preview: for the chosen discrepancies, each person and field with ours and
the agency's (for a person missing here, the entry to add), and why any of them cannot be taken.
propose_take_agency() makes the same plan on the locked discrepancies and keeps it as a
RegisterChangeProposal with one item per discrepancy; a field the agency's row sets together with
another (a status and its date) brings that field's open discrepancy along. confirm_proposal()
applies it set-based through the register's services (register_persons, change_persons, one audit
entry per person and per discrepancy) and closes the discrepancies, in a number of queries that
does not grow with the items; unless what the proposal was made from changed since (the night's
run, a colleague's resolution, an edit of the person): then the proposal is refused as stale and
nothing is applied. Nobody confirms or refuses their own proposal; its proposer may withdraw it.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import record
from core.errors import ConcurrentEdit, Conflict, DomainError, PermissionDenied, ValidationFailed
from core.roles import require_role
from core.workflow import begin, check_move, finish, finish_many, movable_from

from ...models import Discrepancy, Person, RegisterChangeItem, RegisterChangeProposal, StatusChange
from ...models.reconciliation import PROPOSERS
from ..register import change_persons, check_change, new_person, register_persons

Kind, Resolution = Discrepancy.Kind, Discrepancy.Resolution
Proposal = RegisterChangeProposal
# Fields the agency's row sets together: one without the other would not be a valid register entry.
TOGETHER = {
    "insurance_type": ("insurance_type", "employer_code"),
    "employer_code": ("insurance_type", "employer_code"),
    "status": ("status", "status_date"),
    "status_date": ("status", "status_date"),
}
# What a person missing here is added with, from the agency's row (gender and birth date come from the number).
NEW_PERSON_FIELDS = ("name", "insurance_type", "employer_code", "status", "status_date", "paid_through")
TAKEABLE = (Kind.MISSING_LOCAL, Kind.FIELD_MISMATCH)


def agency_value(name: str, text: str):
    """A value of the agency's row, as the register keeps it."""
    text = (text or "").strip()
    if name == "status_date":
        return date.fromisoformat(text)
    if name == "paid_through":
        if not text:
            return None
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    if name == "employer_code":
        return text.upper()
    return text


def _ours(person: Person, name: str) -> str:
    """The register's value as the extract writes it."""
    value = getattr(person, name)
    if value is None:
        return ""
    if name == "paid_through":
        return value.strftime("%Y-%m")
    return value.isoformat() if isinstance(value, date) else str(value)


def _values(changes: dict) -> dict:
    return {name: agency_value(name, after) for name, (_before, after) in changes.items()}


@dataclass
class Planned:
    """One discrepancy to take, and the change it makes: `changes` maps field -> [ours, the agency's]
    (ours is "" for a person to add, `person` None). `with_field`: brought along with that field's."""

    discrepancy: Discrepancy
    person: Person | None
    changes: dict[str, list[str]]
    with_field: str = ""

    @property
    def id_number(self) -> str:
        return self.discrepancy.id_number

    @property
    def discrepancy_id(self) -> int:
        return self.discrepancy.pk


@dataclass
class Plan:
    items: list[Planned] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (discrepancy id, why not)


def _message(exc: DomainError) -> str:
    details = "; ".join(str(e.get("message", "")) for e in exc.errors)
    return f"{exc.message} {details}".strip() if details and details != str(exc.message) else str(exc.message)


def _refusal(d: Discrepancy, actor, expected: int | None, proposed: dict[int, int]) -> str | None:
    """Why this discrepancy cannot be proposed now, or None."""
    try:
        if expected is not None and d.version != expected:
            raise ConcurrentEdit()
        check_move(Discrepancy, d.status, Discrepancy.Status.CLOSED, actor)
    except DomainError as exc:
        return str(exc.message)
    if d.kind not in TAKEABLE:
        return _("There is no agency value to take for a discrepancy of this kind; keep ours or escalate it.")
    if d.pk in proposed:
        return _("Already proposed in register change #%(n)d, waiting for confirmation.") % {"n": proposed[d.pk]}
    return None


def _siblings(chosen: list[Discrepancy], *, lock: bool) -> dict[str, list[Discrepancy]]:
    """The open discrepancies of the fields taken together with a chosen one: id_number -> them."""
    wanted = {d.id_number for d in chosen if d.kind == Kind.FIELD_MISMATCH and d.field in TOGETHER}
    if not wanted:
        return {}
    qs = Discrepancy.objects.filter(kind=Kind.FIELD_MISMATCH, id_number__in=wanted, field__in=list(TOGETHER),
                                    closed_on__isnull=True).order_by("pk")
    out: dict[str, list[Discrepancy]] = {}
    for d in (qs.select_for_update() if lock else qs):
        out.setdefault(d.id_number, []).append(d)
    return out


def plan_take_agency(discrepancies: list[Discrepancy], *, actor, expected_versions: dict | None = None,
                     lock: bool = False) -> Plan:
    """What taking the agency's value of these discrepancies would change, and why some cannot be
    taken (a changed page, closed, nothing to take, already proposed, the person gone or already
    there, a value the register refuses). Changes nothing; four queries whatever their number."""
    expected = expected_versions or {}
    plan = Plan()
    siblings = _siblings(discrepancies, lock=lock)
    candidates = {d.pk: d for d in discrepancies} | {s.pk: s for group in siblings.values() for s in group}
    proposed = dict(RegisterChangeItem.objects.filter(discrepancy__in=list(candidates),
                                                      proposal__status=Proposal.Status.PROPOSED)
                    .values_list("discrepancy_id", "proposal_id"))
    persons = {p.id_number: p for p in Person.objects.filter(id_number__in={d.id_number for d in candidates.values()})}
    chosen_ids = {d.pk for d in discrepancies}
    by_person: dict[str, list[Planned]] = {}
    for d in discrepancies:
        reason = _refusal(d, actor, expected.get(d.pk), proposed)
        group = [s for s in siblings.get(d.id_number, ()) if s.field in TOGETHER.get(d.field, ()) and s.pk != d.pk]
        if reason is None:
            blocked = [s for s in group if s.pk in proposed]
            if blocked:
                reason = _refusal(blocked[0], actor, None, proposed)
        if reason is None:
            try:
                planned = [_planned(d, persons.get(d.id_number))]
            except DomainError as exc:
                reason = _message(exc)
        if reason is not None:
            plan.failed.append((d.pk, reason))
            continue
        planned += [Planned(s, planned[0].person, planned[0].changes, with_field=d.field)
                    for s in group if s.pk not in chosen_ids]
        chosen_ids.update(s.pk for s in group)
        by_person.setdefault(d.id_number, []).extend(planned)
    for items in by_person.values():
        try:
            _check(items)
        except DomainError as exc:
            plan.failed += [(i.discrepancy_id, _message(exc)) for i in items if not i.with_field]
        else:
            plan.items += items
    return plan


def _planned(d: Discrepancy, person: Person | None) -> Planned:
    row = d.agency_row or {}
    if d.kind == Kind.MISSING_LOCAL:
        if person is not None:
            raise ValidationFailed(_("A person with this identity number is already in the register."))
        changes = {name: ["", str(row.get(name) or "")] for name in NEW_PERSON_FIELDS if row.get(name)}
        return Planned(d, None, changes)
    if person is None:
        raise ValidationFailed(_("The person is no longer in the register."))
    names = TOGETHER.get(d.field, (d.field,))
    changes = {}
    for name in names:
        theirs = str(row.get(name) if row.get(name) is not None else (d.agency_value if name == d.field else ""))
        if name == d.field or _ours(person, name) != theirs:
            changes[name] = [_ours(person, name), theirs]
    return Planned(d, person, changes)


def _check(items: list[Planned]) -> None:
    """One person's items, checked as the register's services will check them when applied."""
    try:
        first = items[0]
        if first.person is None:
            new_person(first.id_number, _values(first.changes))
        else:
            check_change(first.person, {k: v for i in items for k, v in _values(i.changes).items()})
    except ValueError as exc:  # a date the agency's row writes wrongly
        raise ValidationFailed(str(exc))


# --- the services ----------------------------------------------------------------------------------

@dataclass
class Proposed:
    proposal: RegisterChangeProposal
    failed: list[tuple[int, str]]


def propose_take_agency(*, actor, chosen: dict[int, int | None], note: str = "") -> Proposed:
    """Propose taking the agency's value of the chosen discrepancies (id -> the version the page
    showed, or None): one proposal holding every one that can be taken, with the versions it was
    made from; the others come back in `failed`. Raises ValidationFailed when none can be taken."""
    require_role(actor, *PROPOSERS)
    with transaction.atomic():
        found = list(Discrepancy.objects.select_for_update().filter(pk__in=list(chosen)).order_by("pk"))
        plan = plan_take_agency(found, actor=actor, expected_versions=chosen, lock=True)
        known = {d.pk for d in found}
        failed = sorted([(pk, str(_("Not found."))) for pk in chosen if pk not in known] + plan.failed)
        if not plan.items:
            raise ValidationFailed(_("Nothing can be proposed: %(why)s") % {"why": "; ".join(r for _p, r in failed)},
                                   code="nothing_to_propose",
                                   errors=[{"id": pk, "message": reason} for pk, reason in failed])
        creations = {i.id_number for i in plan.items if i.person is None}
        proposal = Proposal.objects.create(proposed_by=actor, note=note, persons=len({i.id_number for i in plan.items}),
                                           creations=len(creations))
        RegisterChangeItem.objects.bulk_create([
            RegisterChangeItem(proposal=proposal, discrepancy=i.discrepancy, discrepancy_version=i.discrepancy.version,
                               id_number=i.id_number, person=i.person,
                               person_version=i.person.version if i.person else None, changes=i.changes)
            for i in plan.items])
        record(actor, "enrollment.registerchangeproposal.proposed", proposal, None, {
            "status": proposal.status, "note": note, "persons": proposal.persons, "creations": proposal.creations,
            "items": [{"discrepancy": i.discrepancy_id, "person": i.person.pk if i.person else None,
                       "changes": i.changes} for i in plan.items]})
    return Proposed(proposal, failed)


def _check_not_own(actor, proposal: RegisterChangeProposal) -> None:
    if proposal.proposed_by_id == actor.pk:
        raise PermissionDenied(_("Nobody confirms or refuses their own proposal: another reviewer must "
                                 "(segregation of duties). You may withdraw it."), code="segregation_of_duties")


def _stale(items, found: dict[int, Discrepancy], persons: dict[str, Person]) -> list[int]:
    """The discrepancies whose item no longer says what is there: the discrepancy changed (the
    night, a colleague's resolution), or the person did (an edit, someone added meanwhile)."""
    stale = []
    for i in items:
        d, person = found.get(i.discrepancy_id), persons.get(i.id_number)
        if d is None or d.version != i.discrepancy_version or d.status == Discrepancy.Status.CLOSED:
            stale.append(i.discrepancy_id)
        elif i.person_id is None and person is not None:
            stale.append(i.discrepancy_id)
        elif i.person_id is not None and (person is None or person.version != i.person_version):
            stale.append(i.discrepancy_id)
    return stale


def confirm_proposal(*, actor, proposal: RegisterChangeProposal, note: str = "",
                     expected_version: int | None = None) -> RegisterChangeProposal:
    """Apply a proposal as another reviewer or senior reviewer: the persons added and changed and the
    discrepancies closed in one transaction, each with its audit entry. When what it was made from
    changed since, it is refused as stale instead (that refusal is kept) and Conflict is raised."""
    with transaction.atomic():
        move = begin(proposal, Proposal.Status.CONFIRMED, actor=actor, expected_version=expected_version)
        _check_not_own(actor, move.obj)
        items = list(move.obj.items.order_by("pk"))
        found = {d.pk: d for d in Discrepancy.objects.select_for_update()
                 .filter(pk__in=[i.discrepancy_id for i in items]).order_by("pk")}
        persons = {p.id_number: p for p in Person.objects.select_for_update()
                   .filter(id_number__in={i.id_number for i in items}).order_by("pk")}
        stale = _stale(items, found, persons)
        if not stale:
            applied = _apply(actor, move.obj, items, found, persons)
            return finish(move, changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note},
                          after=applied)
        reason = _("What this proposal was made from changed since (discrepancies %(ids)s): it was refused as "
                   "stale and nothing was applied. Propose it again from the current values.") % {
            "ids": ", ".join(f"#{pk}" for pk in stale)}
        refusal = begin(proposal, Proposal.Status.REFUSED, actor=actor)
        finish(refusal, action="enrollment.registerchangeproposal.stale", changes={
            "decided_by": actor, "decided_at": timezone.now(), "decision_note": reason, "stale": True},
            after={"stale": stale})
    raise Conflict(reason, code="stale_proposal")


def _apply(actor, proposal, items, found: dict[int, Discrepancy], persons: dict[str, Person]) -> dict:
    """The register's changes, set-based, then each discrepancy closed as the agency's value taken."""
    reference = f"proposal:{proposal.pk}"
    source = StatusChange.Source.RECONCILIATION
    entries = {i.id_number: _values(i.changes) for i in items if i.person_id is None}
    changes: dict[Person, dict] = {}
    for i in items:
        if i.person_id is not None:
            changes.setdefault(persons[i.id_number], {}).update(_values(i.changes))
    added = register_persons(actor=actor, entries=entries, source=source, reference=reference)
    changed = change_persons(actor=actor, changes=changes, source=source, reference=reference)
    closable = movable_from(Discrepancy, Discrepancy.Status.CLOSED, actor=actor)
    closing = [d for d in found.values() if d.status in closable]
    Discrepancy.objects.filter(pk__in=[d.pk for d in closing]).update(
        status=Discrepancy.Status.CLOSED, closed_on=timezone.localdate(), close_reason=Discrepancy.CloseReason.RESOLVED,
        resolution=Resolution.TAKE_AGENCY, resolution_note=proposal.note, resolved_by=actor,
        resolved_at=timezone.now(), version=F("version") + 1)
    finish_many(Discrepancy, Discrepancy.Status.CLOSED, [(d.pk, d.status, str(d)) for d in closing], actor=actor,
                action="enrollment.discrepancy.agency_value_taken",
                after={"proposal": proposal.pk, "proposed_by": proposal.proposed_by.get_username()})
    return {"persons_added": len(added), "persons_changed": changed, "discrepancies_closed": len(closing)}


@transaction.atomic
def withdraw_proposal(*, actor, proposal: RegisterChangeProposal, note: str = "",
                      expected_version: int | None = None) -> RegisterChangeProposal:
    """The proposer takes the proposal back before anyone decides it; nothing is applied."""
    move = begin(proposal, Proposal.Status.WITHDRAWN, actor=actor, expected_version=expected_version)
    if move.obj.proposed_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who proposed a change may withdraw it."), code="not_the_proposer")
    return finish(move, changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note})


@transaction.atomic
def refuse_proposal(*, actor, proposal: RegisterChangeProposal, note: str,
                    expected_version: int | None = None) -> RegisterChangeProposal:
    """Another reviewer refuses the proposal, saying why; nothing is applied and the discrepancies stay open."""
    if not (note or "").strip():
        raise ValidationFailed(errors=[{"column": "note", "message": _("Say why the change is refused.")}])
    move = begin(proposal, Proposal.Status.REFUSED, actor=actor, expected_version=expected_version)
    _check_not_own(actor, move.obj)
    return finish(move, changes={"decided_by": actor, "decided_at": timezone.now(), "decision_note": note.strip()})
