"""Reads of the register changes that take two people: the queue of proposals, a proposal's items,
the proposals a discrepancy is in, and the home page's count for those who confirm."""

from django.db.models import Exists, F, OuterRef, Q

from core.roles import has_role

from ..models import Discrepancy, RegisterChangeItem, RegisterChangeProposal
from ..models.reconciliation import CONFIRMERS

__all__ = ["ProposalTab", "discrepancy_proposals", "proposal_items", "proposals_for", "proposals_summary"]

Proposal = RegisterChangeProposal


class ProposalTab:
    """The queue's tabs: what waits for me to confirm, what I proposed, everything waiting, what was decided."""

    FOR_ME = "for_me"
    MINE = "mine"
    WAITING = "waiting"
    DECIDED = "decided"


def _changed_since():
    """Whether an item's discrepancy or person changed after the proposal was made (it would be refused as stale)."""
    return Exists(RegisterChangeItem.objects.filter(proposal=OuterRef("pk")).filter(
        ~Q(discrepancy__version=F("discrepancy_version")) | Q(discrepancy__status=Discrepancy.Status.CLOSED)
        | (Q(person__isnull=False) & ~Q(person__version=F("person_version")))))


def proposals_for(user, tab: str):
    """The queue for `tab`: waiting ones oldest first (the order to confirm them in), decided ones latest first;
    each with who proposed and decided it and `changed_since` (one query per page)."""
    qs = Proposal.objects.select_related("proposed_by", "decided_by").annotate(changed_since=_changed_since())
    waiting = Q(status=Proposal.Status.PROPOSED)
    if tab == ProposalTab.FOR_ME:
        return qs.filter(waiting).exclude(proposed_by=user).order_by("proposed_at", "pk")
    if tab == ProposalTab.MINE:
        return qs.filter(proposed_by=user).order_by("-proposed_at", "-pk")
    if tab == ProposalTab.WAITING:
        return qs.filter(waiting).order_by("proposed_at", "pk")
    return qs.exclude(waiting).order_by("-decided_at", "-pk")


def proposal_items(proposal: RegisterChangeProposal):
    """A proposal's items with their discrepancy and person, in the order they were proposed."""
    return proposal.items.select_related("discrepancy", "person").order_by("pk")


def discrepancy_proposals(discrepancy: Discrepancy, limit: int = 5):
    """The proposals a discrepancy is part of, latest first (its page links them)."""
    return (Proposal.objects.filter(items__discrepancy=discrepancy).select_related("proposed_by")
            .order_by("-proposed_at", "-pk")[:limit])


def proposals_summary(user) -> dict | None:
    """The home panel of those who confirm register changes: how many wait for them (not their own)."""
    if not has_role(user, *CONFIRMERS):
        return None
    return {"for_me": Proposal.objects.filter(status=Proposal.Status.PROPOSED).exclude(proposed_by=user).count()}
