"""The pages of register changes that take two people (issue 14): the preview of taking the agency's
value (from the discrepancy list's bulk form or a discrepancy's own page), making the proposal, the
queue of proposals (a reviewer's 待我确认), a proposal's page with every change, and confirming,
refusing or withdrawing it, each asked once more on a page of its own.

Thin: the forms check shape, enrollment.permissions checks who, the selectors read, and every write
is a service of enrollment.services.reconciliation (propose, confirm, refuse, withdraw), which also
refuse a proposer deciding their own proposal and a proposal made from values changed since.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, PermissionDenied
from core.masking import mask_id_number
from core.paging import peek_page
from core.roles import has_role

from ..forms.reconciliation import FIELD_LABELS, DecideProposalForm, ProposeForm
from ..models import Discrepancy, RegisterChangeProposal
from ..models.reconciliation import CONFIRMERS
from ..permissions import access_proposal, access_reconciliation
from ..selectors.proposals import ProposalTab, proposal_items, proposals_for
from ..services.reconciliation import (
    confirm_proposal,
    plan_take_agency,
    propose_take_agency,
    refuse_proposal,
    withdraw_proposal,
)
from .reconciliation import _back, _failure_text, _forbidden_is_403, _shown

Proposal = RegisterChangeProposal
PAGE_SIZE = 50
STATE_BADGES = {Proposal.Status.PROPOSED: "warn", Proposal.Status.CONFIRMED: "ok",
                Proposal.Status.WITHDRAWN: "", Proposal.Status.REFUSED: "danger"}
TABS = [(ProposalTab.FOR_ME, gettext_lazy("Waiting for my confirmation")),
        (ProposalTab.MINE, gettext_lazy("Proposed by me")),
        (ProposalTab.WAITING, gettext_lazy("All waiting")),
        (ProposalTab.DECIDED, gettext_lazy("Dealt with"))]  # confirmed, refused or withdrawn
DECISIONS = {
    "confirm": (confirm_proposal, gettext_lazy("Confirm and apply register change #%(n)d?"),
                gettext_lazy("Register change #%(n)d was confirmed and applied.")),
    "refuse": (refuse_proposal, gettext_lazy("Refuse register change #%(n)d?"),
               gettext_lazy("Register change #%(n)d was refused; nothing was applied.")),
    "withdraw": (withdraw_proposal, gettext_lazy("Withdraw register change #%(n)d?"),
                 gettext_lazy("Register change #%(n)d was withdrawn; nothing was applied.")),
}


def person_changes(items) -> list[dict]:
    """The items of a plan or a proposal as the preview shows them: one entry per person (a person to
    add, or one to change), each field once with ours and the agency's, and the discrepancies it closes."""
    people: dict[str, dict] = {}
    for item in items:
        entry = people.setdefault(item.id_number, {
            "id_masked": mask_id_number(item.id_number), "person": item.person, "new": item.person is None,
            "name": item.person.name if item.person else (item.changes.get("name") or ["", ""])[1],
            "fields": {}, "discrepancies": []})
        entry["discrepancies"].append(item.discrepancy_id)
        for name, (before, after) in item.changes.items():
            entry["fields"][name] = {"name": name, "label": FIELD_LABELS.get(name, name),
                                     "before": _shown(name, before), "after": _shown(name, after),
                                     "differs": before != after}
    order = {name: i for i, name in enumerate(Discrepancy.FIELDS)}
    for entry in people.values():  # in the extract's column order (a stored item's JSON keeps no order)
        entry["fields"] = sorted(entry["fields"].values(), key=lambda f: order.get(f["name"], len(order)))
        entry["rows"] = max(len(entry["fields"]), 1)
    return list(people.values())


def _failures(failed, found: dict) -> list[str]:
    return [_failure_text(found.get(pk), pk, reason) for pk, reason in failed]


def proposal_preview(request, chosen: dict[int, int | None], note: str = "", back: str | None = None):
    """What taking the agency's value of the chosen discrepancies would change, every person and field with
    ours and the agency's, and those that cannot be taken; a form proposes exactly what is shown."""
    access_reconciliation(request.user, "propose")
    found = {d.pk: d for d in Discrepancy.objects.filter(pk__in=list(chosen)).order_by("pk")}
    plan = plan_take_agency(list(found.values()), actor=request.user, expected_versions=chosen)
    failed = [(pk, str(_("Not found."))) for pk in chosen if pk not in found] + plan.failed
    people = person_changes(plan.items)
    return render(request, "enrollment/reconciliation/proposal_preview.html", {
        "people": people, "failures": _failures(sorted(failed), found), "note": note,
        "ids": [f"{i.discrepancy_id}:{i.discrepancy.version}" for i in plan.items],
        "adding": sum(1 for p in people if p["new"]), "changing": sum(1 for p in people if not p["new"]),
        "back": back or _back(request),
    })


@require_POST
@_forbidden_is_403
def proposal_create(request):
    """Make the previewed proposal; it waits for another person's confirmation."""
    access_reconciliation(request.user, "propose")
    form = ProposeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("enrollment:discrepancy_list")
    chosen = form.cleaned_data["ids"]
    try:
        outcome = propose_take_agency(actor=request.user, chosen=chosen, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("enrollment:discrepancy_list")
    proposal = outcome.proposal
    messages.success(request, ngettext(
        "Register change #%(n)d proposed for %(persons)d person: it is applied when a reviewer or senior "
        "reviewer confirms it.",
        "Register change #%(n)d proposed for %(persons)d persons: it is applied when a reviewer or senior "
        "reviewer confirms it.", proposal.persons) % {"n": proposal.pk, "persons": proposal.persons})
    found = {d.pk: d for d in Discrepancy.objects.filter(pk__in=[pk for pk, _r in outcome.failed])}
    for text in _failures(outcome.failed, found):
        messages.error(request, text)
    return redirect("enrollment:proposal_detail", pk=proposal.pk)


def _row(p: RegisterChangeProposal) -> dict:
    return {"p": p, "badge": STATE_BADGES[p.status], "changed_since": p.status == Proposal.Status.PROPOSED
            and p.changed_since}


@require_GET
def proposal_list(request):
    """The queue: a reviewer starts on what waits for their confirmation, a clerk on what they proposed."""
    access_reconciliation(request.user, "view")
    confirmer = has_role(request.user, *CONFIRMERS)
    tab = request.GET.get("tab") or (ProposalTab.FOR_ME if confirmer else ProposalTab.MINE)
    if tab not in dict(TABS):
        tab = ProposalTab.WAITING
    page = peek_page(proposals_for(request.user, tab), request.GET.get("page"), PAGE_SIZE)
    return render(request, "enrollment/reconciliation/proposal_list.html", {
        "tabs": [(value, label) for value, label in TABS if confirmer or value != ProposalTab.FOR_ME],
        "tab": tab, "page_obj": page, "rows": [_row(p) for p in page], "filter_query": f"tab={tab}",
    })


def _actions(user, proposal: RegisterChangeProposal) -> list[str]:
    if proposal.status != Proposal.Status.PROPOSED:
        return []
    if proposal.proposed_by_id == user.pk:
        return ["withdraw"]
    return ["confirm", "refuse"] if has_role(user, *CONFIRMERS) else []


def _detail(request, proposal: RegisterChangeProposal, *, status=200, form=None):
    items = list(proposal_items(proposal))
    people = person_changes(items)
    return render(request, "enrollment/reconciliation/proposal_detail.html", {
        "proposal": proposal, "badge": STATE_BADGES[proposal.status], "people": people,
        "adding": sum(1 for p in people if p["new"]), "changing": sum(1 for p in people if not p["new"]),
        "changed": [i.discrepancy_id for i in items if i.discrepancy.version != i.discrepancy_version
                    or i.discrepancy.status == Discrepancy.Status.CLOSED
                    or (i.person is not None and i.person.version != i.person_version)],
        "actions": _actions(request.user, proposal), "form": form,
        "own": proposal.proposed_by_id == request.user.pk,
        "applied": proposal.status == Proposal.Status.CONFIRMED,  # the changes read as done
    }, status=status)


@require_GET
def proposal_detail(request, pk):
    return _detail(request, access_proposal(request.user, pk, "view"))


def _decide(request, pk, action: str):
    """Confirm, refuse or withdraw: the form comes back on a page that asks once more, and only the
    answered form acts."""
    proposal = access_proposal(request.user, pk, action)
    form = DecideProposalForm(request.POST)
    if not form.is_valid():
        return _detail(request, proposal, status=400, form=form)
    service, question, done = DECISIONS[action]
    if not form.cleaned_data["confirmed"]:
        if action == "refuse" and not form.cleaned_data["note"].strip():
            messages.error(request, _("Say why the change is refused."))
            return redirect("enrollment:proposal_detail", pk=proposal.pk)
        return render(request, "enrollment/reconciliation/proposal_decide.html", {
            "proposal": proposal, "action": action, "question": question % {"n": proposal.pk}, "form": form,
            "url": reverse(f"enrollment:proposal_{action}", args=[proposal.pk])})
    try:
        service(actor=request.user, proposal=proposal, note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"])
    except PermissionDenied:
        raise  # their own proposal, or not theirs to withdraw: 403
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done % {"n": proposal.pk})
    return redirect("enrollment:proposal_detail", pk=proposal.pk)


@require_POST
@_forbidden_is_403
def proposal_confirm(request, pk):
    return _decide(request, pk, "confirm")


@require_POST
@_forbidden_is_403
def proposal_refuse(request, pk):
    return _decide(request, pk, "refuse")


@require_POST
@_forbidden_is_403
def proposal_withdraw(request, pk):
    return _decide(request, pk, "withdraw")
