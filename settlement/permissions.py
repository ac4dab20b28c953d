"""Who may see and upload claim batches: fetch and authorize in one call.

A provider user belongs to exactly one provider (its guardian grant, core.providers; create_api_token
makes it so): what it uploads is that provider's, and it sees that provider's batches only. A
settlement auditor sees the batches of the providers assigned to them, read only; supervisors and
administrators see all. Anyone else is refused (403) before anything is looked up; a batch the user
may not see is 404, like one that does not exist.
"""

from django.utils.translation import gettext as _

from core.errors import NotFound, PermissionDenied
from core.models import Provider
from core.provider_accounts import provider_of_user
from core.roles import Role, has_role, require_role

from .models import ClaimBatch
from .roles import SETTLEMENT_READERS
from .selectors import batches_visible_to


def provider_of(user) -> Provider:
    """The one provider a provider user belongs to; PermissionDenied (403) with the reason otherwise."""
    if not has_role(user, Role.PROVIDER):
        raise PermissionDenied(_("Only a provider's own users upload claim batches."))
    provider = provider_of_user(user)
    if provider is None:
        raise PermissionDenied(_("Your account is not linked to a provider, so it cannot upload claims: ask the "
                                 "office to link it to your institution."), code="no_provider")
    return provider


def provider_for_upload(user) -> Provider:
    """The provider a user uploads for: theirs, and active."""
    provider = provider_of(user)
    if not provider.active:
        raise PermissionDenied(_("%(name)s (%(code)s) is not an active designated provider: it cannot upload "
                                 "claims. Contact the office.") % {"name": provider.name, "code": provider.code},
                               code="provider_inactive")
    return provider


def access_batches(user) -> None:
    """Reading claim batches at all (lists, pages, API) is for the settlement roles."""
    require_role(user, *SETTLEMENT_READERS)


def access_batch(user, batch_id, action: str = "view") -> ClaimBatch:
    """The batch, if the user may see it (its provider's users, the auditors assigned to that provider)."""
    if action != "view":
        raise ValueError(f"unknown action {action!r}")
    access_batches(user)
    batch = (batches_visible_to(user).select_related("provider", "uploaded_by").filter(pk=batch_id).first()
             if str(batch_id).isdigit() else None)
    if batch is None:
        raise NotFound()
    return batch


def can_upload(user) -> bool:
    return has_role(user, Role.PROVIDER)

