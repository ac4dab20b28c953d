"""The working-day calendar across the 2026 National Day holiday, and into 2027 (weekends only)."""

import importlib
from datetime import date

import pytest
from django.apps import apps

from core.models import CalendarDay
from core.workdays import add_working_days, is_workday, unconfirmed_years, working_days_between

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def official_calendar():
    """The calendar that migration 0003 seeds. A transactional test earlier in the same worker
    (the browser tests) flushes every table, migration data included; seed it again then."""
    if not CalendarDay.objects.filter(date__year=2026).exists():
        importlib.import_module("core.migrations.0003_seed_calendar").seed(apps, None)


def test_the_national_day_holiday_and_its_adjusted_working_days():
    assert not is_workday(date(2026, 10, 1))  # Thursday, National Day
    assert not is_workday(date(2026, 10, 5))  # Monday inside the holiday
    assert not is_workday(date(2026, 10, 3))  # Saturday
    assert is_workday(date(2026, 9, 20))  # Sunday, worked in exchange (调休)
    assert is_workday(date(2026, 10, 10))  # Saturday, worked in exchange
    assert not is_workday(date(2026, 9, 25))  # Friday, Mid-autumn Festival
    assert is_workday(date(2026, 10, 8))


def test_adding_working_days_skips_the_holiday_and_counts_the_adjusted_saturday():
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)
    assert add_working_days(date(2026, 9, 24), 1) == date(2026, 9, 28)  # over Mid-autumn and a weekend
    assert add_working_days(date(2026, 9, 30), 0) == date(2026, 9, 30)


def test_working_days_between_counts_both_ways():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 11)) == 3
    assert working_days_between(date(2026, 10, 11), date(2026, 9, 30)) == -3
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1)) == 0


def test_2027_counts_weekends_only_and_is_reported_unconfirmed():
    # chinese-calendar stops at 2026: 1 January 2027 (a Friday) counts as a working day until the
    # administrator enters the State Council's 2027 schedule.
    assert add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 6)
    assert is_workday(date(2027, 1, 1))
    assert not is_workday(date(2027, 1, 2))
    assert unconfirmed_years(date(2026, 12, 30), date(2027, 1, 6)) == [2027]
    assert unconfirmed_years(date(2026, 1, 1), date(2026, 12, 31)) == []


def test_an_administrators_entry_for_2027_is_honoured():
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="New Year's Day")
    assert not is_workday(date(2027, 1, 1))
    assert add_working_days(date(2026, 12, 30), 5) == date(2027, 1, 7)
