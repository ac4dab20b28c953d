"""Writes to registrations: the loader of a previous system's file, and the single changes (made
at the window, revoked, a referral's first use). Each change keeps a version and writes an audit
entry in the same transaction."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.audit import record, record_many
from core.locks import xact_lock
from core.models import Provider
from core.workflow import begin_edit, finish, transition
from enrollment.models import Person

from ..loading import registrations as sql
from ..loading.files import FileRejected, stage_csv
from ..models import Registration, RegistrationVersion

LOCK = "eligibility.registrations.load"


@dataclass
class RegistrationLoad:
    created: int
    updated: int
    unchanged: int
    registrations: int
    sha256: str


def load_registrations(*, path: Path, actor=None) -> RegistrationLoad:
    """Load a previous system's registrations file (spec/review-rules.md): a row whose kind and number
    are loaded updates that registration, others are created; registrations not in the file are left
    as they are. All or nothing: raises FileRejected listing every invalid row."""
    path = Path(path)
    reference = path.name[:100]
    with transaction.atomic(), connection.cursor() as cur:
        xact_lock(LOCK)
        cur.execute("SET LOCAL jit = off")  # compiling the checks costs more than running them
        staged = stage_csv(cur, path, table=sql.STAGE, columns=sql.COLUMNS)
        cur.execute(sql.checked_sql(staged.width, person_table=Person._meta.db_table,
                                    provider_table=Provider._meta.db_table))
        cur.execute(sql.ROW_PROBLEMS)
        problems = cur.fetchall()
        cur.execute(sql.TWICE)
        problems += cur.fetchall()
        if problems:
            errors = [{"line": line, **dict(zip(("column", "message"), sql.describe(problem), strict=True))}
                      for line, problem in sorted(problems, key=lambda p: p[0])]
            raise FileRejected(_("%(n)d problem(s) in the file: nothing was loaded.") % {"n": len(errors)},
                               errors=errors)
        cur.execute(sql.VALID_SQL)
        cur.execute(sql.TOUCHED_SQL)
        cur.execute(sql.UPDATE)
        updated = cur.rowcount
        cur.execute(sql.INSERT, {"reference": reference})
        created = cur.rowcount
        cur.execute(sql.HISTORY, {"reference": reference, "actor": getattr(actor, "pk", None)})
        cur.execute(sql.TOUCHED_ROWS)
        _audit_changes(actor, cur.fetchall())
        total = Registration.objects.count()
        result = RegistrationLoad(created=created, updated=updated, unchanged=staged.rows - created - updated,
                                  registrations=total, sha256=staged.sha256)
        record(actor, "eligibility.registrations.loaded", ("eligibility.registrations", reference[:64], reference),
               None, {"file": str(path), "sha256": staged.sha256, "rows": staged.rows, "created": created,
                      "updated": updated, "unchanged": result.unchanged, "registrations": total})
    return result


def _audit_changes(actor, touched: list[tuple]) -> None:
    """One audit entry per created or updated registration, chained in one INSERT per kind of change."""
    rows = [(pk, change, json.loads(before) if before else None, json.loads(after))
            for pk, change, before, after in touched]  # Django's cursor hands jsonb over as text
    for change in ("created", "updated"):
        items = [(("eligibility.registration", str(pk), f"{after['kind']} {after['number']}"[:300]), before, after)
                 for pk, kind_of_change, before, after in rows if kind_of_change == change]
        record_many(actor, f"eligibility.registration.{change}", items)


def _values(registration: Registration) -> dict:
    return {
        "kind": registration.kind, "number": registration.number, "person": registration.person_id,
        "status": registration.status, "approved_on": registration.approved_on,
        "valid_from": registration.valid_from, "valid_to": registration.valid_to,
        "provider_codes": list(registration.provider_codes),
        "diagnosis_categories": list(registration.diagnosis_categories), "measure": registration.measure,
    }


def _keep_version(registration: Registration, change: str, actor, reference: str = "") -> None:
    RegistrationVersion.objects.create(
        registration=registration, version=registration.version, values=_json(_values(registration)),
        change=change, reference=reference[:100], changed_by=actor if getattr(actor, "pk", None) else None)


def _json(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def create_registration(*, actor, person: Person, kind: str, number: str, approved_on: date,
                        valid_from: date | None = None, valid_to: date | None = None,
                        provider_codes: list[str] | None = None, diagnosis_categories: list[str] | None = None,
                        measure: str = "", decision_reference: str = "", approved_by=None,
                        application_id: int | None = None, source: str = Registration.Source.APPLICATION,
                        source_reference: str = "") -> Registration:
    """A registration decided here (a benefit application, the demo data): its first version and
    its audit entry. The caller's application has checked what the window requires."""
    with transaction.atomic():
        registration = Registration.objects.create(
            person=person, kind=kind, number=number, approved_on=approved_on, valid_from=valid_from,
            valid_to=valid_to, provider_codes=provider_codes or [], diagnosis_categories=diagnosis_categories or [],
            measure=measure, decision_reference=decision_reference, approved_by=approved_by,
            application_id=application_id, source=source, source_reference=source_reference)
        _keep_version(registration, "created", actor, source_reference)
        record(actor, "eligibility.registration.created", registration, None, _values(registration))
    return registration


def revoke_registration(*, actor, registration: Registration, reason: str) -> Registration:
    """Revoke a registration (it no longer applies on any date); the reason is kept."""
    with transaction.atomic():
        revoked = transition(registration, Registration.Status.REVOKED, actor=actor,
                             action="eligibility.registration.revoked", note=reason)
        _keep_version(revoked, "revoked", actor, reason)
    return revoked


def record_referral_use(*, actor, registration: Registration, used_on: date, reference: str = "") -> bool:
    """A referral was used in time (spec/review-rules.md, Referrals) on `used_on`: from then on it
    covers follow-ups until a year after approval. Settlement calls this for the first claim that
    uses it; an earlier first use is kept. Returns True when this changed the registration."""
    with transaction.atomic():
        move = begin_edit(registration, actor=actor)
        if move.obj.kind != Registration.Kind.REFERRAL or (
                move.obj.first_used_on and move.obj.first_used_on <= used_on):
            return False
        used = finish(move, action="eligibility.registration.used", changes={"first_used_on": used_on},
                      after={"reference": reference} if reference else None)
        _keep_version(used, "used", actor, reference)
    return True
