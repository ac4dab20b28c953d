"""The catalogue (医保目录) and the disease classes (病种分类): the reference data that settlement's
review rules and the benefit calculation read (spec/review-rules.md, Reference data)."""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.ranges import KeyRange
from enrollment.models.register import Grams


class DateRange(Func):
    """daterange(from, to, '[]'): an entry's days, both ends included (an empty end: no end)."""

    function = "DATERANGE"
    output_field = DateRangeField()


class CatalogueItem(models.Model):
    """One version of a catalogue entry: an item (drug, service, material or bed) with its class
    (甲/乙/丙), price cap and limits, in force from effective_from to effective_to (inclusive; empty:
    no end). The entry in force on a date is the one whose period holds it; an item's versions
    never overlap (a database constraint), so there is at most one."""

    class Category(models.TextChoices):
        DRUG = "DRUG", _("Drug")
        SERVICE = "SERVICE", _("Service")
        MATERIAL = "MATERIAL", _("Material")
        BED = "BED", _("Bed")

    class PayClass(models.TextChoices):
        A = "A", _("Class A (甲类)")
        B = "B", _("Class B (乙类)")
        C = "C", _("Class C (丙类)")

    class Sex(models.TextChoices):
        MALE = "M", _("Male only")
        FEMALE = "F", _("Female only")

    item_code = models.CharField(_("item code"), max_length=50)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    pay_class = models.CharField(_("class"), max_length=1, choices=PayClass.choices)
    price_cap = models.DecimalField(_("price cap"), max_digits=14, decimal_places=4, null=True, blank=True)
    sex_limit = models.CharField(_("sex limit"), max_length=1, choices=Sex.choices, blank=True)
    age_min = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    max_per_day = models.DecimalField(_("max per day"), max_digits=12, decimal_places=3, null=True, blank=True,
                                      help_text=_("Units per patient per day."))
    max_per_claim = models.DecimalField(_("max per claim"), max_digits=12, decimal_places=3, null=True, blank=True,
                                        help_text=_("Units per claim."))
    indications = ArrayField(models.CharField(max_length=3), default=list, blank=True,
                             verbose_name=_("indications"),
                             help_text=_("ICD-10 prefixes (限定适应症); empty: any diagnosis."))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Any part of the name, in lower case (eligibility.selectors.catalogue.search_catalogue).
    name_grams = models.GeneratedField(expression=Grams(Lower(F("name"))), output_field=ArrayField(models.TextField()),
                                       db_persist=True)

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["item_code", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["item_code", "effective_from"], name="catalogue_item_version_once"),
            # The entry in force on a date is unique: an item's versions never overlap.
            ExclusionConstraint(
                name="catalogue_item_versions_do_not_overlap", deferrable=models.Deferrable.DEFERRED,
                expressions=[(KeyRange("item_code"), RangeOperators.OVERLAPS),
                             (DateRange("effective_from", "effective_to", models.Value("[]")),
                              RangeOperators.OVERLAPS)],
            ),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F(
                "effective_from")), name="catalogue_item_period_in_order"),
            models.CheckConstraint(condition=Q(age_min__isnull=True) | Q(age_max__isnull=True)
                                   | Q(age_min__lte=models.F("age_max")), name="catalogue_item_ages_in_order"),
        ]
        indexes = [
            # Catalogue search by any part of the name (the pages): its characters and pairs, GIN.
            GinIndex(fields=["name_grams"], name="catalogue_name_grams_idx"),
            # Search by a code prefix; the rules' lookup of the entry in force uses the unique index.
            models.Index(fields=["item_code"], name="catalogue_code_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.item_code} {self.name}"


class DiseaseClass(models.Model):
    """A range of ICD-10 categories and its class (病种分类): SPECIFIED (规定疾病) or CHRONIC (慢性病).

    A diagnosis category (the first three characters of the code, in upper case) is in a range when
    category_from ≤ category ≤ category_to compared as text; in no range: no class (acute). Ranges
    never share a category (load_diseases and the admin check it). Seeded by migration 0011.
    """

    class Kind(models.TextChoices):
        SPECIFIED = "SPECIFIED", _("Specified disease (规定疾病)")
        CHRONIC = "CHRONIC", _("Chronic disease (慢性病)")

    category_from = models.CharField(_("from category"), max_length=3)
    category_to = models.CharField(_("to category"), max_length=3)
    disease_class = models.CharField(_("disease class"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=None)

    class Meta:
        verbose_name = _("disease class")
        verbose_name_plural = _("disease classes")
        ordering = ["category_from"]
        constraints = [
            models.UniqueConstraint(fields=["category_from"], name="disease_class_from_once"),
            models.CheckConstraint(condition=Q(category_from__lte=models.F("category_to")),
                                   name="disease_class_range_in_order"),
            models.CheckConstraint(condition=Q(category_from__regex=r"^[A-Z][0-9]{2}$")
                                   & Q(category_to__regex=r"^[A-Z][0-9]{2}$"), name="disease_class_categories"),
        ]

    def __str__(self):
        return f"{self.category_from}–{self.category_to} {self.name}"
