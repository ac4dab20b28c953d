"""The kinds of registration application, each declared once (one module per kind, its SPEC).

A kind's declaration (base.KindSpec) holds its checklist, time limit, required fields, intake form
fields, payload validation and documented shape, what approval applies to the register, the
approval letter's lines, the case page's template of its payload and its demo case. Everything
that differs by kind reads it through spec_for(kind): the services, the forms, the pages, the
letters and the API. A kind added to Application.Kind without a declaration stops the site at
start-up (core.kinds.KindRegistry); an unknown kind raises core.kinds.UnknownKind.
"""

from core.kinds import KindRegistry, UnknownKind

from ..models import Application
from . import add_persons, change_info, employer_registration, remove_persons, transfer_in, transfer_out
from .base import CASE_FIELDS, Errors, KindSpec, shown_payload

KINDS: KindRegistry[KindSpec] = KindRegistry("enrollment application kinds", Application.Kind, [
    employer_registration.SPEC, add_persons.SPEC, remove_persons.SPEC, change_info.SPEC, transfer_in.SPEC,
    transfer_out.SPEC,
])


def spec_for(kind: str) -> KindSpec:
    """The declaration of `kind`; UnknownKind for a kind that has none."""
    return KINDS[kind]


__all__ = ["CASE_FIELDS", "KINDS", "Errors", "KindSpec", "UnknownKind", "shown_payload", "spec_for"]
