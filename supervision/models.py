from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import Role

from .roles import SUPERVISORS

# The ledger itself reopens a closed problem that is reported again (supervision.services.report_problem).
LEDGER = (Role.SYSTEM,)


class Problem(models.Model):
    """An entry of the problem ledger (问题台账): something that went wrong, followed to rectification.

    Every source reaches the ledger through supervision.services.report_problem, which keys the
    entry on its source (`source_key`), so one source object raises one entry however often it
    is reported. A supervisor then works it through the transitions table: assigns it to a staff
    member or a responsible unit with a deadline (OPEN or REOPENED -> RECTIFYING), records the
    rectification (-> AWAITING_VERIFICATION), closes it or sends it back (REOPENED). A move from a
    state to itself is an edit in that state: while it is being rectified, a new deadline or another
    assignee (a problem nobody has been given yet gets its deadline when it is assigned). Overdue: a
    deadline passed and not closed.
    """

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        RECTIFYING = "RECTIFYING", _("Being rectified")
        AWAITING_VERIFICATION = "AWAITING_VERIFICATION", _("Awaiting verification")
        CLOSED = "CLOSED", _("Closed")
        REOPENED = "REOPENED", _("Reopened")

    class Severity(models.TextChoices):
        LOW = "LOW", _("Low")
        MEDIUM = "MEDIUM", _("Medium")
        HIGH = "HIGH", _("High")

    TRANSITIONS = {
        Status.OPEN: {Status.RECTIFYING: SUPERVISORS, Status.CLOSED: SUPERVISORS},
        Status.RECTIFYING: {Status.AWAITING_VERIFICATION: SUPERVISORS, Status.RECTIFYING: SUPERVISORS},
        Status.AWAITING_VERIFICATION: {Status.CLOSED: SUPERVISORS, Status.REOPENED: SUPERVISORS},
        Status.REOPENED: {Status.RECTIFYING: SUPERVISORS},
        Status.CLOSED: {Status.REOPENED: SUPERVISORS + LEDGER},
    }

    source_key = models.CharField(max_length=120, unique=True,
                                  help_text="app.model:id of the source object, or another stable key.")
    source_app = models.CharField(_("source"), max_length=30)
    category = models.CharField(_("category"), max_length=60)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices, default=Severity.MEDIUM)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    responsible_unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    link = models.CharField(max_length=300, blank=True, help_text="Where the source can be seen on the site.")
    status = models.CharField(_("status"), max_length=25, choices=Status.choices, default=Status.OPEN)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    times_reported = models.PositiveIntegerField(default=1)
    raised_at = models.DateTimeField(auto_now_add=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    version = models.PositiveIntegerField(default=1)
    # Working the problem (supervision.services): who rectifies it, what was done, when it closed.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("assigned to"))
    rectification = models.TextField(_("rectification"), blank=True)
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["status", "source_app"], name="problem_queue_idx"),
            # The ledger's "overdue" filter and count (supervision.selectors.overdue).
            models.Index(fields=["deadline"], name="problem_deadline_idx",
                         condition=~models.Q(status="CLOSED") & models.Q(deadline__isnull=False)),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"

    @property
    def is_overdue(self) -> bool:
        return bool(self.deadline and self.status != self.Status.CLOSED and self.deadline < timezone.localdate())
