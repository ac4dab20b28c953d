from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .reconciliation import CONFIRMERS, PROPOSERS, Discrepancy
from .register import Person


class RegisterChangeProposal(models.Model):
    """A change to the register that takes two people: one proposes it, another confirms it.

    Taking the agency's value of a discrepancy (a field that differs, or a person missing here)
    is proposed by a clerk after a preview of every change, and applied only when a reviewer or
    senior reviewer other than the proposer confirms it (segregation of duties, as for the
    applications' decisions). Each item keeps the versions its preview was made from: confirming
    after the night (or a colleague) changed a discrepancy or a person refuses the proposal as
    stale instead of applying what nobody saw. States move through TRANSITIONS (core.workflow);
    the services are enrollment.services.reconciliation.proposals.
    """

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("Waiting for confirmation")
        CONFIRMED = "CONFIRMED", _("Confirmed and applied")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        REFUSED = "REFUSED", _("Refused")

    # Who may not confirm or refuse (the proposer) and who alone may withdraw (the proposer) is
    # checked by the services on the locked row.
    TRANSITIONS = {
        Status.PROPOSED: {Status.CONFIRMED: CONFIRMERS, Status.REFUSED: CONFIRMERS, Status.WITHDRAWN: PROPOSERS},
        Status.CONFIRMED: {},
        Status.WITHDRAWN: {},
        Status.REFUSED: {},
    }

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    note = models.TextField(_("note"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("reason"), blank=True)
    stale = models.BooleanField(default=False, help_text="Refused because what it was made from changed.")
    # Counted when proposed, for the queue (a proposal's items never change).
    persons = models.PositiveIntegerField(_("persons"), default=0)
    creations = models.PositiveIntegerField(_("persons to add"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("register change proposal")
        verbose_name_plural = _("register change proposals")
        indexes = [
            # The reviewers' queue: the waiting ones, oldest first.
            models.Index(fields=["proposed_at"], condition=models.Q(status="PROPOSED"), name="proposal_waiting_idx"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.status}"


class RegisterChangeItem(models.Model):
    """One discrepancy a proposal resolves, and the change it makes to the register.

    `person` is the person to change, or null for a person to add (MISSING_LOCAL). `changes`
    maps each field to [ours, the agency's] as the extract writes them ("" for a new person):
    what the preview showed, and what is applied. `discrepancy_version` and `person_version` are
    the versions the preview was made from.
    """

    proposal = models.ForeignKey(RegisterChangeProposal, on_delete=models.CASCADE, related_name="items")
    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.PROTECT, related_name="proposal_items")
    discrepancy_version = models.PositiveIntegerField()
    id_number = models.CharField(_("identity number"), max_length=64)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person_version = models.PositiveIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("proposed change")
        verbose_name_plural = _("proposed changes")
        constraints = [models.UniqueConstraint(fields=["proposal", "discrepancy"], name="one_item_per_discrepancy")]

    def __str__(self):
        return f"{self.proposal_id}: {self.discrepancy_id}"
