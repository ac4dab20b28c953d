"""Registrations (备案) of insured persons and the penalty register (信用惩戒).

Four kinds, declared once each in eligibility.registration_kinds (what each kind needs). A
registration is made at the window through a benefit application (a later issue), or loaded from a
previous system (load_registrations), and every change keeps a version (RegistrationVersion) and
an audit entry.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..roles import REGISTRATION_DECIDERS


class RegistrationKind(models.TextChoices):
    REFERRAL = "REFERRAL", _("Referral (转外就医)")
    SPECIAL_DISEASE = "SPECIAL_DISEASE", _("Outpatient special disease (门诊特殊病种)")
    RESIDENCE_ELSEWHERE = "RESIDENCE_ELSEWHERE", _("Residence elsewhere (异地居住)")
    PENALTY = "PENALTY", _("Penalty (信用惩戒)")


class PenaltyMeasure(models.TextChoices):
    SETTLEMENT_METHOD = "SETTLEMENT_METHOD", _("Settlement method changed (结算方式改变)")
    RESTRICTED_PROVIDERS = "RESTRICTED_PROVIDERS", _("Restricted to named providers (限定定点医药机构就医)")
    MONITORING = "MONITORING", _("Focused monitoring (重点监控)")


class Registration(models.Model):
    """One registration of a person: a referral, an outpatient special disease, residence
    elsewhere, or a penalty with its measure.

    Valid on a date (spec/review-rules.md): valid_from on or before it and valid_to empty or on or
    after it, and not revoked. A referral ignores valid_from/valid_to (kept empty): it may begin
    within three calendar months of approved_on at a provider it lists, and once used in time
    (first_used_on) covers follow-ups there until a year after approved_on
    (eligibility.selectors.registrations.referral_window).

    The fields a benefit application will fill (decision_reference of a penalty, approved_by,
    application_id) are optional: a loaded registration is taken as its previous system decided it.
    """

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("In force")
        REVOKED = "REVOKED", _("Revoked")

    TRANSITIONS = {
        Status.ACTIVE: {Status.REVOKED: REGISTRATION_DECIDERS},
        Status.REVOKED: {},
    }

    class Source(models.TextChoices):
        LOAD = "LOAD", _("Loaded from a previous system")
        APPLICATION = "APPLICATION", _("Benefit application")
        DEMO = "DEMO", _("Demo data")

    Kind = RegistrationKind
    Measure = PenaltyMeasure

    kind = models.CharField(_("kind"), max_length=20, choices=RegistrationKind.choices)
    number = models.CharField(_("number"), max_length=None)  # as the previous system numbered it
    person = models.ForeignKey("enrollment.Person", on_delete=models.PROTECT, related_name="registrations",
                               verbose_name=_("insured person"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    approved_on = models.DateField(_("approved on"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    provider_codes = ArrayField(models.CharField(max_length=30), default=list, blank=True,
                                verbose_name=_("providers"))
    diagnosis_categories = ArrayField(models.CharField(max_length=3), default=list, blank=True,
                                      verbose_name=_("diagnosis categories"))
    measure = models.CharField(_("measure"), max_length=20, choices=PenaltyMeasure.choices, blank=True)
    # A referral's first use in time (settlement records it through record_referral_use): from then
    # on it covers follow-ups until a year after approval.
    first_used_on = models.DateField(_("first used on"), null=True, blank=True)
    # What a benefit application at the window fills in; empty for what was loaded.
    decision_reference = models.CharField(_("decision reference"), max_length=60, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("approved by"))
    application_id = models.BigIntegerField(_("application"), null=True, blank=True,
                                            help_text=_("The benefit application it came from, if any."))
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_reference = models.CharField(_("source reference"), max_length=100, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="registration_number_once_per_kind"),
            models.CheckConstraint(
                condition=models.Q(kind="PENALTY", measure__in=PenaltyMeasure.values)
                | (~models.Q(kind="PENALTY") & models.Q(measure="")),
                name="registration_measure_only_on_penalty"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")), name="registration_period_in_order"),
        ]
        indexes = [
            # What applies to a person on a date (coverage, the person's page, the review rules).
            models.Index(fields=["person", "kind"], name="registration_person_idx"),
            # The registrations list, newest first (a kind filter reads the same index).
            models.Index(fields=["-approved_on", "-id"], name="registration_recent_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"


class RegistrationVersion(models.Model):
    """A registration as it stood after one change (its history): the values of the version, who
    made it and from where (a loaded file, an application, a revocation)."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    values = models.JSONField()
    change = models.CharField(max_length=20)  # created, updated, revoked, used
    reference = models.CharField(max_length=100, blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("registration version")
        verbose_name_plural = _("registration versions")
        constraints = [models.UniqueConstraint(fields=["registration", "version"], name="registration_version_once")]

    def __str__(self):
        return f"{self.registration_id} v{self.version}"
