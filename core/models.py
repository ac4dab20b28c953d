from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """One change to the office's data: who, when, what, before and after.

    Append-only: the database refuses UPDATE, DELETE and TRUNCATE on this table (triggers,
    migrations 0002 and 0005), and the application's database role may only INSERT and SELECT it
    (`grant_app_role`). Each entry's hash is an HMAC, under a key kept outside the database, of
    every stored field and the hash of the entry before it, so `verify_audit` finds any entry
    that was altered, removed or re-chained; a checkpoint outside the database finds a trimmed
    tail. Names are copied as text so entries outlive deletions. Written only by
    core.audit.record, in the same transaction as the change.
    """

    class Scheme(models.IntegerChoices):
        # Entries written before migration 0005: plain SHA-256 of the fields but object_repr.
        LEGACY_SHA256 = 1, _("SHA-256 (before the keyed hash)")
        HMAC_SHA256 = 2, _("HMAC-SHA256 of every field")

    seq = models.BigIntegerField(unique=True, help_text="Position in the hash chain.")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    scheme = models.PositiveSmallIntegerField(choices=Scheme.choices, help_text="How `hash` was computed.")

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            # An object's whole history (person page, audit trail pages).
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            # Searching by actor and date.
            models.Index(fields=["actor", "at"], name="audit_actor_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"


class Counter(models.Model):
    """Named sequences for human-readable numbers (case numbers, letter numbers), gap-free per key."""

    key = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.value}"


class LetterRecord(models.Model):
    """A letter the office issued: its number, verification code, the PDF's SHA-256 and issuer.

    The PDF itself is kept so that a reprint is the same document. /verify/<code> tells whether a
    printed letter is genuine and shows only its type, date and a masked name.
    """

    number = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    verification_code = models.CharField(max_length=16, unique=True)
    sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to="letters/%Y/")
    subject_name = models.CharField(max_length=200, blank=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        indexes = [models.Index(fields=["object_type", "object_id"], name="letter_object_idx")]

    def __str__(self):
        return self.number


class CalendarYear(models.Model):
    """A year of the office's working-day calendar; confirmed once the State Council's schedule is in."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    confirmed = models.BooleanField(_("confirmed"), default=False,
                                    help_text=_("The State Council's holiday schedule for the year is entered."))
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self):
        return str(self.year)


# The names chinese-calendar gives the holidays (migration 0003 seeds the calendar with them), translated.
HOLIDAY_NAMES = {
    "New Year's Day": _("New Year's Day"), "Spring Festival": _("Spring Festival"),
    "Tomb-sweeping Day": _("Tomb-sweeping Day"), "Labour Day": _("Labour Day"),
    "Dragon Boat Festival": _("Dragon Boat Festival"), "National Day": _("National Day"),
    "Mid-autumn Festival": _("Mid-autumn Festival"), "Anti-Fascist 70th Day": _("Anti-Fascist 70th Day"),
}


class CalendarDay(models.Model):
    """An exception to 'Monday to Friday are working days': a holiday on a weekday, or an
    adjusted working day (调休) on a weekend. Editable by an administrator."""

    date = models.DateField(_("date"), primary_key=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.shown_name or (_('working day') if self.is_workday else _('holiday'))}"

    @property
    def shown_name(self) -> str:
        """The holiday's name in the active language (the calendar package names them in English)."""
        return str(HOLIDAY_NAMES.get(self.name, self.name))


class Provider(models.Model):
    """A designated medical institution or pharmacy (定点医药机构), as spec/review-rules.md loads them.

    Shared by every app (the coverage check, referrals, claims, disputes), so it lives in core,
    beside users and roles: it is the unit of object-level access (a provider's users see its own
    data; an auditor sees the providers assigned to them: core.providers).
    """

    class Area(models.TextChoices):
        LOCAL = "LOCAL", _("Local")
        OUT = "OUT", _("Out of area")

    code = models.CharField(_("provider code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(_("level"), choices=[(1, "1"), (2, "2"), (3, "3")])
    area = models.CharField(_("area"), max_length=5, choices=Area.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["code"]
        permissions = [("access_provider", _("Can see and act on this provider's data"))]

    def __str__(self):
        return f"{self.code} {self.name}"
