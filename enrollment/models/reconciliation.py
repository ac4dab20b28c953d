from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.roles import Role

# Who works the discrepancies (enrollment.permissions reads these too); the night acts as the system.
RESOLVERS = (Role.CLERK, Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMIN)
ESCALATORS = (*RESOLVERS, Role.SUPERVISOR)
RUNNERS = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.SUPERVISOR, Role.ADMIN)
# A change to the register is proposed by a resolver and confirmed by another person who holds one
# of these roles (enrollment.models.proposals).
PROPOSERS = RESOLVERS
CONFIRMERS = (Role.REVIEWER, Role.SENIOR_REVIEWER)
NIGHT = (Role.SYSTEM,)
_RUN = RUNNERS + NIGHT


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", _("Running")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    REJECTED = "REJECTED", _("File rejected")
    FAILED = "FAILED", _("Failed")
    INTERRUPTED = "INTERRUPTED", _("Interrupted")


class ReconciliationRun(models.Model):
    """One night's comparison with the agency's extract: one row per date, retried in place.

    A run row is created before the work and finished (or failed) after it, so a crashed run is
    visible and can simply be run again; two runs for one date are kept apart by an advisory lock.
    Each try is a ReconciliationAttempt beside it. Once a date has succeeded, its row keeps that
    success (figures, file, SHA-256) until another try succeeds: a rejected or failed try for the
    date is recorded as its attempt only.

    A run whose worker was killed stays RUNNING in the row: it shows as interrupted while no
    session holds the reconciliation's advisory lock (selectors.reconciliation.run_is_interrupted),
    and the next run, of any date, moves it to INTERRUPTED under that lock.
    """

    Status = RunStatus

    # A run is started from the page (RUNNERS) or by the night (the system); it may be done again
    # for its date in any state, RUNNING included (a worker that died mid-run left it so). A date
    # that succeeded stays SUCCEEDED while it is tried again, and moves to SUCCEEDED again with the
    # new figures when the try succeeds.
    TRANSITIONS = {
        Status.RUNNING: {Status.SUCCEEDED: _RUN, Status.REJECTED: _RUN, Status.FAILED: _RUN, Status.RUNNING: _RUN,
                         Status.INTERRUPTED: _RUN},
        Status.SUCCEEDED: {Status.RUNNING: _RUN, Status.SUCCEEDED: _RUN},
        Status.REJECTED: {Status.RUNNING: _RUN},
        Status.FAILED: {Status.RUNNING: _RUN},
        Status.INTERRUPTED: {Status.RUNNING: _RUN},
    }

    run_date = models.DateField(_("date"), unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.BigIntegerField(default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    invalid_rows = models.PositiveIntegerField(default=0)
    opened = models.PositiveIntegerField(_("new"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Open discrepancies by kind after the run.")
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per phase.")
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-run_date"]

    def __str__(self):
        return f"{self.run_date} {self.status}"

    @property
    def error_for_staff(self) -> str:
        """What the pages say went wrong: a rejected file's reason as it was given; a failure's
        technical detail (an exception, perhaps a server path) stays in the report and the log."""
        if self.status == self.Status.FAILED and self.error:
            return str(_("An unexpected error stopped the run; nothing was changed and it can be run again."))
        return self.error


class ReconciliationAttempt(models.Model):
    """One try at a date's run, kept beside the run: which file, with what SHA-256, how it ended.

    A rejected re-delivery for a date that already succeeded is recorded here, and the run keeps
    its success. The row is written in the transactions of the run's own moves (whose audit
    entries say the same), and its state leaves RUNNING once, by a compare-and-swap UPDATE
    (engine._end_attempt): a try that was killed is marked INTERRUPTED by the next run.
    """

    Status = RunStatus

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveIntegerField(_("attempt"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_size = models.BigIntegerField(default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    triggered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")

    class Meta:
        verbose_name = _("reconciliation attempt")
        verbose_name_plural = _("reconciliation attempts")
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_attempt_number_per_run")]

    def __str__(self):
        return f"{self.run_id} #{self.number} {self.status}"


class Discrepancy(models.Model):
    """A difference between the agency's extract and the register (spec/agency-extract.md).

    Identified by kind, id_number (as written, for INVALID_ROW) and field: at most one open
    discrepancy per identity (a partial unique index), which each night's run upserts. The night
    closes it, as the system user, when the difference is gone; a clerk resolves it by taking the
    agency's value (closed), keeping ours (to report back) or escalating it to the problem ledger.
    `status` is the state those moves follow (TRANSITIONS, through core.workflow); `closed_on` is
    set exactly when it is CLOSED (a check constraint), and the open ones' indexes use it. The
    night bumps `version` when the values it shows change, so a resolution from an older page is
    refused.
    """

    class Kind(models.TextChoices):
        MISSING_LOCAL = "MISSING_LOCAL", _("Missing here")
        MISSING_AGENCY = "MISSING_AGENCY", _("Missing at the agency")
        FIELD_MISMATCH = "FIELD_MISMATCH", _("Field differs")
        INVALID_ROW = "INVALID_ROW", _("Invalid row")

    class Resolution(models.TextChoices):
        NONE = "", _("To be worked")
        TAKE_AGENCY = "TAKE_AGENCY", _("Agency's value taken")
        KEEP_OURS = "KEEP_OURS", _("Ours kept, to report back")
        ESCALATED = "ESCALATED", _("Escalated to the ledger")

    class Status(models.TextChoices):
        OPEN = "OPEN", _("Open")
        KEPT = "KEPT", _("Ours kept")
        ESCALATED = "ESCALATED", _("Escalated")
        CLOSED = "CLOSED", _("Closed")

    TRANSITIONS = {
        Status.OPEN: {Status.KEPT: RESOLVERS, Status.ESCALATED: ESCALATORS, Status.CLOSED: RESOLVERS + NIGHT},
        Status.KEPT: {Status.ESCALATED: ESCALATORS, Status.CLOSED: RESOLVERS + NIGHT},
        # Escalated again: the ledger counts the report again (and reopens its entry if it was closed).
        Status.ESCALATED: {Status.ESCALATED: ESCALATORS, Status.KEPT: RESOLVERS, Status.CLOSED: RESOLVERS + NIGHT},
        Status.CLOSED: {},
    }

    class CloseReason(models.TextChoices):
        GONE = "GONE", _("No longer in the extract")
        RESOLVED = "RESOLVED", _("Resolved")

    FIELDS = ("name", "gender", "birth_date", "insurance_type", "employer_code", "status", "status_date",
              "paid_through")
    # The fields as the pages, the ledger and the letters name them (never by their code).
    FIELD_LABELS = {
        "name": _("Name"), "gender": _("Gender"), "birth_date": _("Birth date"), "insurance_type": _("Insurance type"),
        "employer_code": _("Employer code"), "status": _("Status"), "status_date": _("Status date"),
        "paid_through": _("Paid through"),
    }

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    id_number = models.CharField(_("identity number"), max_length=64)
    field = models.CharField(_("field"), max_length=20, blank=True)
    our_value = models.TextField(_("our value"), blank=True)
    agency_value = models.TextField(_("agency's value"), blank=True)
    agency_row = models.JSONField(null=True, blank=True, help_text="The agency's row as delivered, last seen.")
    reason = models.TextField(_("reason"), blank=True)
    line_no = models.PositiveIntegerField(null=True, blank=True)
    first_seen = models.DateField(_("first seen"))
    last_seen = models.DateField(_("last seen"))
    nights_seen = models.PositiveIntegerField(_("nights seen"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(max_length=10, choices=CloseReason.choices, blank=True)
    resolution = models.CharField(_("resolution"), max_length=12, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    reported_back_on = models.DateField(null=True, blank=True)
    problem_id = models.BigIntegerField(null=True, blank=True, help_text="The ledger entry raised for it.")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "id_number", "field"], condition=Q(closed_on__isnull=True),
                                    name="one_open_discrepancy"),
            models.CheckConstraint(condition=Q(status="CLOSED", closed_on__isnull=False)
                                   | (~Q(status="CLOSED") & Q(closed_on__isnull=True)),
                                   name="discrepancy_closed_on_when_closed"),
        ]
        indexes = [
            # The discrepancy list: open ones by kind and age.
            models.Index(fields=["kind", "first_seen"], condition=Q(closed_on__isnull=True),
                         name="discrepancy_open_idx"),
            # A person's discrepancies on the person page.
            models.Index(fields=["id_number"], name="discrepancy_person_idx"),
            # The discrepancy list's identity-number prefix filter (LIKE 'prefix%' under any collation).
            models.Index(fields=["id_number"], name="discrepancy_id_prefix_idx", opclasses=["varchar_pattern_ops"]),
            # The discrepancy list's closed ones, most recently closed first.
            models.Index(fields=["closed_on", "id"], condition=Q(closed_on__isnull=False),
                         name="discrepancy_closed_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.id_number} {self.field}".strip()

    def get_field_display(self) -> str:
        return str(self.FIELD_LABELS.get(self.field, self.field))
