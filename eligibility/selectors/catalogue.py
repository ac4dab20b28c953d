"""Reads of the catalogue and the disease classes."""

import re
from datetime import date

from django.db.models import Q, QuerySet

from enrollment.selectors.register import grams_of

from ..models import CatalogueItem, DiseaseClass

__all__ = ["catalogue_in_force", "disease_class_of", "diagnosis_category", "search_catalogue"]

_CODE = re.compile(r"^[0-9A-Za-z._-]+$")


def catalogue_in_force(on: date) -> QuerySet[CatalogueItem]:
    """The entries in force on a date (at most one per item: versions never overlap)."""
    return CatalogueItem.objects.filter(Q(effective_from__lte=on) & (Q(effective_to__isnull=True)
                                                                     | Q(effective_to__gte=on)))


def search_catalogue(text: str, *, on: date | None = None) -> QuerySet[CatalogueItem]:
    """Entries whose code starts with the text, or whose name contains it in any case (the name's
    grams, GIN, narrow a million-row catalogue to the names holding every pair of the text);
    optionally only those in force on a date."""
    text = (text or "").strip()
    queryset = catalogue_in_force(on) if on else CatalogueItem.objects.all()
    queryset = queryset.defer("name_grams")
    if text:
        match = Q(name_grams__contains=grams_of(text.lower()), name__icontains=text)
        if _CODE.match(text):
            match |= Q(item_code__startswith=text.upper()) | Q(item_code__startswith=text)
        queryset = queryset.filter(match)
    return queryset.order_by("item_code", "-effective_from")


def diagnosis_category(diagnosis_code: str) -> str:
    """'e11.9' -> 'E11': the first three characters, in upper case."""
    return (diagnosis_code or "").strip()[:3].upper()


def disease_class_of(diagnosis_code: str) -> DiseaseClass | None:
    """The class of a diagnosis's category, or None (acute)."""
    category = diagnosis_category(diagnosis_code)
    if len(category) != 3:
        return None
    return DiseaseClass.objects.filter(category_from__lte=category, category_to__gte=category).first()
