"""Writes that reading the register causes: the audited reveal of a full identity number and the
audit entry of a bulk export. Each runs in its own transaction and checks the actor first."""

from django.db import transaction

from core.audit import record

from ..models import Person
from ..permissions import access_register, authorize_person_action


@transaction.atomic
def reveal_id_number(*, actor, person: Person) -> str:
    """The person's full identity number, for a holder of enrollment.view_full_id_number; audited."""
    authorize_person_action(actor, "reveal_id_number")
    record(actor, "enrollment.person.id_number_viewed", person)
    return person.id_number


@transaction.atomic
def record_register_export(*, actor, scope: str, parameters: dict, fmt: str) -> None:
    """Note who exported which list of persons (masked) and how: one entry per download."""
    access_register(actor)
    record(actor, "enrollment.register.exported", ("enrollment.register", scope, scope), None,
           {**parameters, "format": fmt})
