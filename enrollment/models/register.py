from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Func
from django.db.models.functions import Right, Substr
from django.utils.translation import gettext_lazy as _


class InsuranceType(models.TextChoices):
    EMP = "EMP", _("Employee (职工)")
    RES = "RES", _("Urban-rural resident (城乡居民)")


class PersonStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    SUSPENDED = "SUSPENDED", _("Suspended")
    TERMINATED = "TERMINATED", _("Terminated")


class Gender(models.TextChoices):
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")


class Grams(Func):
    """The distinct characters and pairs of adjacent characters of a text, as text[] (SQL function of
    migration 0006): 王小明 -> {王, 王小, 小, 小明, 明}. A GIN index on them finds any part of a name,
    one character or more, whatever the database's locale (pg_trgm ignores CJK characters under a
    C or POSIX ctype and needs three characters)."""

    function = "enrollment_grams"
    output_field = ArrayField(models.TextField())


class EmployerGrams(Func):
    """Grams of an employer's name, and runs of three characters of its credit code (migration 0006)."""

    function = "enrollment_employer_grams"
    output_field = ArrayField(models.TextField())


class Employer(models.Model):
    """An employer registered with the office (参保单位), identified by its unified social
    credit code (GB 32100). Its staff are the persons whose employer_code is this code."""

    class Scheme(models.TextChoices):
        BASIC = "BASIC", _("Basic medical insurance for employees")
        MATERNITY = "MATERNITY", _("Maternity insurance")
        LARGE_EXPENSE = "LARGE_EXPENSE", _("Large medical expense subsidy")
        CIVIL_SERVANT = "CIVIL_SERVANT", _("Civil servant medical subsidy")

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        CLOSED = "CLOSED", _("Closed")

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    schemes = ArrayField(models.CharField(max_length=20, choices=Scheme.choices), default=list, blank=True,
                         verbose_name=_("insurance schemes"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Any part of the name or the credit code (enrollment.selectors.register.search_employers).
    search_grams = models.GeneratedField(expression=EmployerGrams(F("name"), F("uscc")),
                                         output_field=ArrayField(models.TextField()), db_persist=True)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["name"]
        indexes = [
            # The employer list in name order (PatternOrder), a name prefix.
            models.Index(fields=["name"], name="employer_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
            # search_employers: any part of the name or of the credit code.
            GinIndex(fields=["search_grams"], name="employer_search_grams_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.uscc})"


class ExtractLine(Func):
    """The register's row as the agency's extract writes it (SQL function of migration 0003)."""

    function = "enrollment_extract_line"
    output_field = models.TextField()


class Person(models.Model):
    """An insured person in the office's register (参保人), one per identity number.

    Birth date and gender are derived from the identity number and kept as columns so the
    register can be compared with the agency's extract column by column. The current status is
    kept here and every status change in StatusChange, so other apps can ask for the status in
    force on a past date (enrollment.selectors.status_on).
    """

    id_number = models.CharField(_("identity number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    insurance_type = models.CharField(_("insurance type"), max_length=3, choices=InsuranceType.choices)
    employer_code = models.CharField(_("employer code"), max_length=18, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PersonStatus.choices)
    status_date = models.DateField(_("status date"))
    paid_through = models.DateField(_("paid through"), null=True, blank=True,
                                    help_text=_("First day of the last month with contributions paid."))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The row as the agency's extract would carry it (null where it could not be written plainly).
    # The nightly comparison matches the extract's raw lines against it: a line equal to it is the
    # same, valid row, so only the few lines that differ are parsed and validated (issue 4's speed).
    extract_line = models.GeneratedField(
        expression=ExtractLine(F("id_number"), F("name"), F("gender"), F("birth_date"), F("insurance_type"),
                               F("employer_code"), F("status"), F("status_date"), F("paid_through")),
        output_field=models.TextField(), db_persist=True,
    )
    # Grams of the name after its first character: a part of the name that is not its start
    # (李王芳 for 王芳), searched after the names that start with it (selectors.register).
    name_grams = models.GeneratedField(expression=Grams(Substr(F("name"), 2)),
                                       output_field=ArrayField(models.TextField()), db_persist=True)

    class Meta:
        verbose_name = _("insured person")
        verbose_name_plural = _("insured persons")
        permissions = [("view_full_id_number", _("Can see full identity numbers"))]
        indexes = [
            # Person search: name prefix, pinyin-initials prefix (张三 ↔ zs). The identity-number prefix
            # uses the varchar_pattern_ops index Django adds for the unique id_number by itself.
            models.Index(fields=["name"], name="person_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
            # The initials index carries the name too, so that a page of a common prefix (w: every 王)
            # comes off it in (initials, name) order without sorting each run of equal initials.
            models.Index(fields=["name_initials", "name"], name="person_initials_prefix_idx",
                         opclasses=["varchar_pattern_ops", "varchar_pattern_ops"]),
            # An employer's staff list.
            models.Index(fields=["employer_code", "name"], name="person_employer_idx"),
            # Person search by a part of the name that is not its start (selectors.register).
            GinIndex(fields=["name_grams"], name="person_name_grams_idx"),
            # Person search by the last four characters of the identity number (alone or with a
            # name), read in name order.
            models.Index(Right("id_number", 4), F("name"),
                         name="person_last_four_idx"),
        ]

    def __str__(self):
        from core.masking import mask_id_number

        return f"{self.name} ({mask_id_number(self.id_number)})"


class StatusChange(models.Model):
    """One status a person held from status_date on, as the register learnt it.

    The status in force on a date is the latest change that took effect on or before it
    (spec/review-rules.md, ELIG_NOT_INSURED). Loading the same fact twice adds nothing.
    """

    class Source(models.TextChoices):
        LOAD = "LOAD", _("Register load")
        APPLICATION = "APPLICATION", _("Approved application")
        RECONCILIATION = "RECONCILIATION", _("Resolved discrepancy")
        MANUAL = "MANUAL", _("Correction")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=10, choices=PersonStatus.choices)
    status_date = models.DateField()
    source = models.CharField(max_length=20, choices=Source.choices)
    reference = models.CharField(max_length=60, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        constraints = [
            models.UniqueConstraint(fields=["person", "status_date", "status"], name="status_change_once"),
        ]
        indexes = [
            # status_on(person, date): the latest change on or before a date.
            models.Index(fields=["person", "-status_date", "-id"], name="status_change_in_force_idx"),
        ]

    def __str__(self):
        return f"{self.status} from {self.status_date}"
