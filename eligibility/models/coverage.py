"""The log of coverage lookups: who asked about whom, when, and the answer."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class CoverageLookup(models.Model):
    """One coverage check (GET /api/v1/eligibility/coverage/) as it was asked and answered.

    Append-only (the database refuses UPDATE and DELETE: migration 0012) and written by the request
    itself with one plain INSERT, outside the audit chain: thousands of lookups a second must not
    queue on the chain's lock. Names are copied as text so the log outlives the users.
    """

    at = models.DateTimeField(_("asked at"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False,
                             related_name="+")
    username = models.CharField(_("asked by"), max_length=150)
    provider_code = models.CharField(_("asking provider"), max_length=30, blank=True)
    person = models.ForeignKey("enrollment.Person", null=True, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    id_number = models.CharField(_("identity number asked"), max_length=18)
    on_date = models.DateField(_("date asked"))
    visit_type = models.CharField(_("visit type"), max_length=20)
    covered = models.BooleanField(_("covered"))
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    answer = models.JSONField(_("answer"), encoder=DjangoJSONEncoder)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("coverage lookup")
        verbose_name_plural = _("coverage lookups")
        indexes = [
            # A person's page: who looked them up, latest first.
            models.Index(fields=["person", "-at"], name="coverage_lookup_person_idx"),
            models.Index(fields=["-at"], name="coverage_lookup_recent_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.on_date}"
