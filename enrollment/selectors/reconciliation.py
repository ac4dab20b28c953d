"""Reads of the nightly comparison: runs and discrepancies."""

from ..models import Discrepancy

__all__ = ["open_discrepancies"]


def open_discrepancies():
    return Discrepancy.objects.filter(closed_on__isnull=True)
