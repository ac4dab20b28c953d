"""The office's working-day calendar (限时办结).

Monday to Friday are working days except the holidays in core.CalendarDay, and Saturdays or
Sundays listed there as adjusted working days (调休) are working days too. The table is seeded
from the chinese-calendar package for the years it knows (it stops at 2026) and edited by an
administrator as the State Council publishes each year; a year not marked confirmed in
core.CalendarYear is counted weekends-only and flagged as unconfirmed.
"""

from datetime import date, timedelta

from .models import CalendarDay, CalendarYear


def _exceptions(start: date, end: date) -> dict[date, bool]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "is_workday"))


def _is_workday(day: date, exceptions: dict[date, bool]) -> bool:
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def is_workday(day: date) -> bool:
    return _is_workday(day, _exceptions(day, day))


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted).

    One query for the exceptions of the whole span (a generous bound: 3× calendar days).
    """
    if days <= 0:
        return start
    exceptions = _exceptions(start, start + timedelta(days=days * 3 + 30))
    current, left = start, days
    while left:
        current += timedelta(days=1)
        if _is_workday(current, exceptions):
            left -= 1
    return current


def subtract_working_days(end: date, days: int) -> date:
    """The date `days` working days before `end` (end itself not counted): the start from which
    add_working_days(start, days) reaches `end` when `end` is a working day."""
    if days <= 0:
        return end
    exceptions = _exceptions(end - timedelta(days=days * 3 + 30), end)
    current, left = end, days
    while left:
        current -= timedelta(days=1)
        if _is_workday(current, exceptions):
            left -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative when end is before start."""
    if end == start:
        return 0
    sign, lo, hi = (1, start, end) if end > start else (-1, end, start)
    exceptions = _exceptions(lo, hi)
    count = sum(
        1 for n in range(1, (hi - lo).days + 1) if _is_workday(lo + timedelta(days=n), exceptions)
    )
    return sign * count


def unconfirmed_years(start: date, end: date) -> list[int]:
    """Years in the span whose official schedule is not in the calendar yet."""
    years = set(range(start.year, end.year + 1))
    confirmed = set(CalendarYear.objects.filter(year__in=years, confirmed=True).values_list("year", flat=True))
    return sorted(years - confirmed)


def working_days_left(today: date, due_dates) -> dict[date, int]:
    """working_days_between(today, d) for many due dates with one query (list pages)."""
    dates = {d for d in due_dates if d is not None}
    if not dates:
        return {}
    lo, hi = min(min(dates), today), max(max(dates), today)
    exceptions = _exceptions(lo, hi)
    out = {}
    for d in dates:
        sign, a, b = (1, today, d) if d >= today else (-1, d, today)
        out[d] = sign * sum(1 for n in range(1, (b - a).days + 1) if _is_workday(a + timedelta(days=n), exceptions))
    return out
