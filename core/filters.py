"""Date-and-time filters and form fields that PostgreSQL can always take.

Python accepts a time-zone offset up to ±23:59, PostgreSQL only up to ±15:59: a filter such as
``?since=2026-01-01T00:00:00+20:00`` parsed fine and then failed in the database (a 500). Here a
parsed value is checked (an offset beyond those of the world's time zones, ±14:00, is a field
error) and sent on in UTC; a value whose UTC falls outside the years 1–9999 is a field error too.
Every date-and-time filter or form field in the project is one of these (a test walks them all).
"""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields

# The world's time zones lie between UTC−12:00 and UTC+14:00.
MAX_OFFSET = datetime.timedelta(hours=14)


def to_utc(value: datetime.datetime | None) -> datetime.datetime | None:
    """The same instant in UTC, or a ValidationError for an offset or a date out of range."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValidationError(_("The time-zone offset must lie between -14:00 and +14:00."), code="invalid_offset")
    try:
        return value.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        raise ValidationError(_("The date and time is out of range."), code="out_of_range")


class OffsetSafeMixin:
    """For a forms.DateTimeField: the parsed value checked and converted to UTC (to_utc)."""

    def to_python(self, value):
        return to_utc(super().to_python(value))


class DateTimeField(OffsetSafeMixin, forms.DateTimeField):
    pass


class IsoDateTimeField(OffsetSafeMixin, filter_fields.IsoDateTimeField):
    pass


class DateTimeFilter(django_filters.DateTimeFilter):
    field_class = DateTimeField


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = IsoDateTimeField
