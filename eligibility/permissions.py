"""Who may do what in eligibility: `access_<object>(user, id, action)` fetch and authorize in one
call (404 for what does not exist, 403 for a role that may not).

Reading (the catalogue, registrations, a person's benefits, the coverage lookups) is for the
office's staff; editing reference data is for administrators (in the admin). The coverage check
is open to every provider user (a hospital must check any patient before treating them) and to
the office's staff.
"""

from core.errors import NotFound, PermissionDenied
from core.models import Provider
from core.provider_accounts import provider_of_user
from core.roles import Role, has_role, require_role
from enrollment.models import Person

from .models import Registration
from .roles import OFFICE_STAFF, REFERENCE_EDITORS


def access_eligibility(user) -> None:
    """The eligibility pages (catalogue, registrations, a person's benefits): the office's staff."""
    require_role(user, *OFFICE_STAFF)


def can_edit_reference_data(user) -> bool:
    return has_role(user, *REFERENCE_EDITORS)


def access_coverage(user) -> Provider | None:
    """May the user ask the coverage check? Returns the asking provider for a provider user (its
    one provider), None for the office's staff; PermissionDenied for anyone else."""
    if has_role(user, *OFFICE_STAFF):
        return None
    if has_role(user, Role.PROVIDER):
        provider = provider_of_user(user)
        if provider is not None:
            return provider
    raise PermissionDenied()


def access_person_benefits(user, person_id) -> Person:
    access_eligibility(user)
    person = Person.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is None:
        raise NotFound()
    return person


def access_registration(user, registration_id, action: str = "view") -> Registration:
    """A registration, to `view` (the office's staff) or `revoke` (the roles its transitions name)."""
    if action not in ("view", "revoke"):
        raise ValueError(f"unknown action {action!r}")
    access_eligibility(user)
    registration = (Registration.objects.select_related("person", "approved_by").filter(pk=registration_id).first()
                    if str(registration_id).isdigit() else None)
    if registration is None:
        raise NotFound()
    if action == "revoke" and not has_role(
            user, *Registration.TRANSITIONS[Registration.Status.ACTIVE][Registration.Status.REVOKED]):
        raise PermissionDenied()
    return registration
