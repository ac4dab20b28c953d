"""Human-readable numbers: case numbers and letter numbers, from core.Counter."""

from django.db import connection


def next_value(key: str) -> int:
    """The next value of a named counter; atomic, and gap-free within committed transactions."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO core_counter (key, value) VALUES (%s, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = core_counter.value + 1 RETURNING value",
            [key],
        )
        return cur.fetchone()[0]


def next_number(prefix: str, year: int, width: int = 6) -> str:
    """For example next_number('ENR', 2026) -> 'ENR-2026-000001'."""
    return f"{prefix}-{year}-{next_value(f'{prefix}-{year}'):0{width}d}"
