"""Applying an approved application to the register, through the register's own services.

check_applicable() is run at approval and again (under the same lock) at registration, so a
reviewer does not approve what can no longer be applied, and nothing is applied half-way: any
error raises and the whole transaction rolls back. What each kind checks and changes is in its
declaration (enrollment.kinds).
"""

from ...kinds import spec_for
from ...models import Application


def check_applicable(app: Application) -> None:
    """Raise ValidationFailed when the register changed so that the application no longer fits."""
    spec_for(app.kind).check(app)


def apply_to_register(*, actor, application: Application) -> dict:
    """Make the change; return fields to store on the application (e.g. the new employer)."""
    check_applicable(application)
    return spec_for(application.kind).apply(actor, application)
