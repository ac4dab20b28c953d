from datetime import date, timedelta

from django.db import migrations

FIRST_YEAR, LAST_YEAR = 2004, 2026  # the years chinese-calendar 1.11 knows


def seed(apps, schema_editor):
    """The official holidays and adjusted working days, from the chinese-calendar package.

    Only exceptions to Monday-Friday are stored. Years after the package's last one are left to
    the administrator (weekends only until then, flagged as unconfirmed).
    """
    import chinese_calendar

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    rows = []
    day = date(FIRST_YEAR, 1, 1)
    while day.year <= LAST_YEAR:
        workday = chinese_calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            rows.append(CalendarDay(date=day, is_workday=workday, name=str(name or "")))
        day += timedelta(days=1)
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        CalendarYear.objects.update_or_create(
            year=year, defaults={"confirmed": True, "source": "chinese-calendar 1.11 (State Council schedule)"})


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.all().delete()
    apps.get_model("core", "CalendarYear").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(seed, unseed)]
