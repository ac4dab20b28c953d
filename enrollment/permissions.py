"""Fetch-and-authorize for enrollment's objects: `access_<object>(user, id, action)`.

Each function checks the user's role (and, where an action needs one, a model permission) and
fetches the object in one call: the caller gets the object or a DomainError. An unknown id is
NotFound (404); a user outside enrollment's roles is PermissionDenied (403) before anything is
looked up, so a provider or a settlement auditor learns nothing about the register.
"""

from core.errors import NotFound, PermissionDenied
from core.roles import has_role, require_role

from .models import Employer, Person
from .models.reconciliation import CONFIRMERS, ESCALATORS, PROPOSERS, RESOLVERS, RUNNERS
from .roles import ENROLLMENT_STAFF, REVEAL_ID_NUMBER_PERMISSION

# The register (persons, employers): who may read it (ENROLLMENT_STAFF), and which permission
# shows full numbers (REVEAL_ID_NUMBER_PERMISSION, granted to roles in apps.py).


def can_reveal_id_number(user) -> bool:
    return user.has_perm(REVEAL_ID_NUMBER_PERMISSION)


def access_register(user) -> None:
    """Reading the register (search, lists, exports) is for enrollment's staff."""
    require_role(user, *ENROLLMENT_STAFF)


def authorize_person_action(user, action: str) -> None:
    """May the user `view` persons, or `reveal_id_number` (the full number, audited by the caller)?"""
    if action not in ("view", "reveal_id_number"):
        raise ValueError(f"unknown action {action!r}")
    access_register(user)
    if action == "reveal_id_number" and not can_reveal_id_number(user):
        raise PermissionDenied()


def access_person(user, person_id, action: str = "view") -> Person:
    """The person, if the user may take the action on it."""
    authorize_person_action(user, action)
    person = Person.objects.filter(pk=person_id).first() if str(person_id).isdigit() else None
    if person is None:
        raise NotFound()
    return person


def access_employer(user, employer_id, action: str = "view") -> Employer:
    if action != "view":
        raise ValueError(f"unknown action {action!r}")
    access_register(user)
    employer = Employer.objects.filter(pk=employer_id).first() if str(employer_id).isdigit() else None
    if employer is None:
        raise NotFound()
    return employer


# Registration applications: every enrollment role may read a case; the moves themselves are
# checked again by the services against the transitions table (and segregation of duties).
APPLICATION_ACTIONS = {"view", "edit", "decide", "register"}


def access_application(user, application_id, action: str = "view"):
    """The application, if the user may `view` it or attempt `edit` / `decide` / `register` on it."""
    from core.roles import has_role

    from .models import Application
    from .models.applications import CLERKS, DECIDERS

    if action not in APPLICATION_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    require_role(user, *ENROLLMENT_STAFF)
    application = (
        Application.objects.select_related("employer", "person", "created_by", "decided_by", "reviewer")
        .filter(pk=application_id).first() if str(application_id).isdigit() else None
    )
    if application is None:
        raise NotFound()
    needed = {"edit": CLERKS, "decide": DECIDERS, "register": CLERKS + DECIDERS}.get(action)
    if needed and not has_role(user, *needed):
        raise PermissionDenied()
    return application


def access_application_letter(user, application_id, letter_id):
    """A letter issued for an application the user may see (404 for any other letter)."""
    from core.models import LetterRecord

    application = access_application(user, application_id)
    letter = LetterRecord.objects.filter(
        pk=letter_id, object_type=application._meta.label_lower, object_id=str(application.pk)).first() \
        if str(letter_id).isdigit() else None
    if letter is None:
        raise NotFound()
    return application, letter


def access_roster_upload(user, application_id, upload_id):
    """A roster upload (and its original file) of an application the user may see."""
    application = access_application(user, application_id)
    upload = application.roster_uploads.filter(pk=upload_id).first() if str(upload_id).isdigit() else None
    if upload is None:
        raise NotFound()
    return application, upload


# -- reconciliation ----------------------------------------------------------------------------
# The same roles as the discrepancies' and runs' transitions tables (enrollment.models.reconciliation).
RECONCILIATION_ACTIONS = {
    "view": ENROLLMENT_STAFF,  # runs, discrepancies, exports, the nightly report, register change proposals
    "resolve": RESOLVERS,  # keep ours, report the kept ones back
    "propose": PROPOSERS,  # propose taking the agency's value (a change to the register)
    "confirm": CONFIRMERS,  # confirm or refuse another user's proposal
    "escalate": ESCALATORS,  # to the problem ledger
    "run": RUNNERS,  # start a run from the page
}


def access_reconciliation(user, action: str = "view") -> None:
    if not has_role(user, *RECONCILIATION_ACTIONS[action]):
        raise PermissionDenied()


def access_discrepancy(user, discrepancy_id, action: str = "view"):
    from .models import Discrepancy

    access_reconciliation(user, action)
    discrepancy = Discrepancy.objects.filter(pk=discrepancy_id).first()
    if discrepancy is None:
        raise NotFound()
    return discrepancy


PROPOSAL_ACTIONS = {"view": "view", "confirm": "confirm", "refuse": "confirm", "withdraw": "propose"}


def access_proposal(user, proposal_id, action: str = "view"):
    """A register change proposal, if the user may `view`, `confirm`, `refuse` or `withdraw` it (who
    proposed it is checked by the services: nobody decides their own, only its proposer withdraws)."""
    from .models import RegisterChangeProposal

    if action not in PROPOSAL_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    access_reconciliation(user, PROPOSAL_ACTIONS[action])
    proposal = (RegisterChangeProposal.objects.select_related("proposed_by", "decided_by")
                .filter(pk=proposal_id).first() if str(proposal_id).isdigit() else None)
    if proposal is None:
        raise NotFound()
    return proposal


def access_run(user, run_id):
    from .models import ReconciliationRun

    access_reconciliation(user, "view")
    run = ReconciliationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run
