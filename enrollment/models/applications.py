from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.roles import Role

from .register import Employer, Person

CLERKS = (Role.CLERK, Role.ADMIN)
DECIDERS = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.ADMIN)


class Application(models.Model):
    """A registration application taken in at the window (参保登记), one case with a number,
    its materials checklist, a time limit in working days and a decision.

    Kind-specific data (the employer's details, the changes asked for, the transfer's other
    office) is kept in `payload`, validated by enrollment.services.applications.payloads before
    it is stored. The due date is counted in working days from submission; while the case waits
    for the applicant after the one-time notice it has none, and it is counted again from the
    resubmission (the time limit runs on complete materials). Every change goes through
    enrollment.services.applications; `version` refuses an edit made on a stale page.
    """

    class Kind(models.TextChoices):
        EMPLOYER_REGISTRATION = "EMPLOYER_REGISTRATION", _("Employer registration")
        ADD_PERSONS = "ADD_PERSONS", _("Add persons (增员)")
        REMOVE_PERSONS = "REMOVE_PERSONS", _("Remove persons (减员)")
        CHANGE_INFO = "CHANGE_INFO", _("Change of personal information")
        TRANSFER_IN = "TRANSFER_IN", _("Transfer in (转入)")
        TRANSFER_OUT = "TRANSFER_OUT", _("Transfer out (转出)")

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        SUBMITTED = "SUBMITTED", _("Submitted")
        INCOMPLETE = "INCOMPLETE", _("Incomplete (notice issued)")
        RESUBMITTED = "RESUBMITTED", _("Resubmitted")
        UNDER_REVIEW = "UNDER_REVIEW", _("Under review")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")
        REGISTERED = "REGISTERED", _("Registered")

    # state -> {next state: roles that may make the move}
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED: CLERKS},
        Status.SUBMITTED: {Status.INCOMPLETE: CLERKS, Status.UNDER_REVIEW: CLERKS + DECIDERS},
        Status.INCOMPLETE: {Status.RESUBMITTED: CLERKS},
        Status.RESUBMITTED: {Status.INCOMPLETE: CLERKS, Status.UNDER_REVIEW: CLERKS + DECIDERS},
        Status.UNDER_REVIEW: {Status.APPROVED: DECIDERS, Status.REJECTED: DECIDERS},
        Status.APPROVED: {Status.REGISTERED: CLERKS + DECIDERS},
        Status.REJECTED: {},
        Status.REGISTERED: {},
    }
    OPEN_STATES = (Status.DRAFT, Status.SUBMITTED, Status.INCOMPLETE, Status.RESUBMITTED, Status.UNDER_REVIEW,
                   Status.APPROVED)
    # The cases in hand (在办件): submitted, so taken in and their time limit running. A draft is not one
    # yet: it waits for the clerk to submit it (the queue counts drafts apart).
    IN_HAND_STATES = (Status.SUBMITTED, Status.INCOMPLETE, Status.RESUBMITTED, Status.UNDER_REVIEW, Status.APPROVED)
    # States in which the clerk may still change the checklist and the staff list.
    EDITABLE_STATES = (Status.DRAFT, Status.SUBMITTED, Status.INCOMPLETE, Status.RESUBMITTED)

    number = models.CharField(_("case number"), max_length=30, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    applicant_name = models.CharField(_("applicant"), max_length=100)
    applicant_phone = models.CharField(_("applicant's phone"), max_length=30, blank=True)
    employer = models.ForeignKey(Employer, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="applications", verbose_name=_("employer"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="applications", verbose_name=_("person"))
    payload = models.JSONField(default=dict, blank=True)
    effective_date = models.DateField(_("effective date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    due_date_unconfirmed = models.BooleanField(
        default=False, help_text="The due date was counted over a year whose official holiday schedule is not in "
                                 "the calendar yet (weekends only): it may move when the schedule is published.")
    resubmitted_at = models.DateTimeField(null=True, blank=True)
    notice_deadline = models.DateField(
        _("materials due by"), null=True, blank=True,
        help_text="The date the one-time notice gives the applicant to bring what is missing.")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reasons = models.JSONField(default=list, blank=True)
    decision_note = models.TextField(blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    overdue_problem_id = models.BigIntegerField(
        null=True, blank=True, help_text="The problem-ledger entry raised when the case went past its due date.")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("registration application")
        verbose_name_plural = _("registration applications")
        ordering = ["-created_at"]
        indexes = [
            # The clerks' queue: open cases by due date, mine, by state.
            models.Index(fields=["status", "due_date"], name="application_queue_idx"),
            models.Index(fields=["created_by", "status"], name="application_mine_idx"),
        ]

    def __str__(self):
        return self.number


class Material(models.Model):
    """One item of an application's materials checklist and what the clerk found.

    `code` names an entry of enrollment.materials (label, what to bring); the checklist of a
    kind is created with the application, so a later change of the list leaves old cases as
    they were taken in.
    """

    class State(models.TextChoices):
        PENDING = "PENDING", _("Not checked")
        PROVIDED = "PROVIDED", _("Provided")
        MISSING = "MISSING", _("Missing")
        INVALID = "INVALID", _("Provided but not valid")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    code = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        constraints = [models.UniqueConstraint(fields=["application", "code"], name="material_once")]
        ordering = ["id"]

    def __str__(self):
        return f"{self.application_id}:{self.code}={self.state}"


class RosterUpload(models.Model):
    """An employer's staff list uploaded for an add-persons application.

    The original file is kept with its SHA-256 whether or not it was valid, with every error
    found (row, column, message). Only a valid, current upload's entries are applied, and only
    when the application is registered.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="roster_uploads")
    file = models.FileField(upload_to="rosters/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    encoding = models.CharField(max_length=20, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    is_valid = models.BooleanField(default=False)
    error_count = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True, help_text="What the reader noticed, e.g. where it stopped.")
    is_current = models.BooleanField(default=True, help_text="The latest upload of its application; older ones "
                                                             "are kept as they were, with their files.")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("roster upload")
        verbose_name_plural = _("roster uploads")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.original_name


class RosterEntry(models.Model):
    """One validated row of a roster, applied to the register only when the application is approved."""

    upload = models.ForeignKey(RosterUpload, on_delete=models.CASCADE, related_name="entries")
    line_no = models.PositiveIntegerField()
    id_number = models.CharField(max_length=18)
    name = models.CharField(max_length=50)
    gender = models.CharField(max_length=1)
    birth_date = models.DateField()
    phone = models.CharField(max_length=30, blank=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["line_no"]
        constraints = [models.UniqueConstraint(fields=["upload", "id_number"], name="roster_entry_once")]
        indexes = [
            # "Already in another open application": one lookup for all of a roster's numbers.
            models.Index(fields=["id_number"], name="roster_entry_id_idx"),
        ]

    def __str__(self):
        return f"{self.upload_id}:{self.line_no}"

    @property
    def masked_id_number(self) -> str:
        from core.masking import mask_id_number

        return mask_id_number(self.id_number)
