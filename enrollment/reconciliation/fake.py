"""A realistic agency extract written from the current register, with planted differences,
so that a user of `make run` (and the benchmarks and tests) can see reconciliation work.

Of the register's persons, a share is dropped (MISSING_AGENCY), a share gets one field changed
the way agencies differ in practice (status, status date, paid-through month, name written
differently, employer) (FIELD_MISMATCH); new persons are added (MISSING_LOCAL) and a few rows
are broken (INVALID_ROW). The register is read with one COPY; rows stream to the file.
"""

import csv
import gzip
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.db import connection

from .. import demo
from .extract import COLUMNS

_REGISTER = """COPY (
    SELECT id_number, name, gender, to_char(birth_date, 'YYYY-MM-DD'), insurance_type, employer_code, status,
           to_char(status_date, 'YYYY-MM-DD'), coalesce(to_char(paid_through, 'YYYY-MM'), to_char(now(), 'YYYY-MM'))
    FROM enrollment_person ORDER BY id
) TO STDOUT"""


@dataclass
class Planted:
    rows: int = 0
    missing_agency: int = 0
    missing_local: int = 0
    field_mismatch: int = 0
    invalid_row: int = 0
    fields: dict = field(default_factory=dict)


def _change_field(row: list[str], rng: random.Random, employer_codes: list[str]) -> str:
    choice = rng.choice(["status", "status_date", "paid_through", "name", "employer_code"])
    if choice == "status":
        row[6] = "SUSPENDED" if row[6] == "ACTIVE" else "ACTIVE"
    elif choice == "status_date":
        row[7] = (date.fromisoformat(row[7]) + timedelta(days=rng.randint(1, 60))).isoformat()
    elif choice == "paid_through":
        y, m = map(int, row[8].split("-"))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        row[8] = f"{y:04d}-{m:02d}"
    elif choice == "name":
        row[1] = row[1][0] + demo.person_name(rng)[1:] if len(row[1]) > 1 else row[1] + "华"
    elif choice == "employer_code" and row[4] == "EMP" and len(employer_codes) > 1:
        row[5] = rng.choice([c for c in employer_codes[:5] if c != row[5]] or employer_codes)
    else:
        row[6] = "TERMINATED" if row[6] != "TERMINATED" else "ACTIVE"
        choice = "status"
    return choice


def _broken(rng: random.Random, row: list[str]) -> list[str]:
    kind = rng.choice(["check", "date", "gender", "columns"])
    row = list(row)
    if kind == "check":
        last = row[0][-1]
        row[0] = row[0][:-1] + ("1" if last != "1" else "2")
    elif kind == "date":
        row[7] = row[7][:5] + "02-30"
    elif kind == "gender":
        row[2] = "3"
    else:
        row = row[:5]
    return row


def write_fake_extract(path: Path, *, differences: float = 0.02, new_persons: int | None = None,
                       invalid_rows: int = 5, seed: int = 20261123, gz: bool | None = None) -> Planted:
    """Write the extract to path (gzip when the name ends in .gz) and say what was planted."""
    path = Path(path)
    rng = random.Random(seed)
    planted = Planted()
    with connection.cursor() as cur:
        cur.execute("SELECT uscc FROM enrollment_employer ORDER BY uscc LIMIT 50")
        employer_codes = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM enrollment_person")
        register_size = cur.fetchone()[0]
    invalid_share = invalid_rows / max(register_size, 1)
    gz = path.suffix == ".gz" if gz is None else gz
    opener = gzip.open if gz else open
    share = differences / 2
    known: set[str] = set()  # half dropped or changed each
    with opener(path, "wt", encoding="utf-8", newline="") as out, connection.cursor() as cur:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        with cur.copy(_REGISTER) as copy:
            for row in copy.rows():
                row = list(row)
                known.add(row[0])
                r = rng.random()
                if r < share * 0.5:
                    planted.missing_agency += 1
                    continue
                if r < share * 1.5:
                    changed = _change_field(row, rng, employer_codes)
                    planted.field_mismatch += 1
                    planted.fields[changed] = planted.fields.get(changed, 0) + 1
                elif planted.invalid_row < invalid_rows and rng.random() < invalid_share * 2:
                    row = _broken(rng, row)
                    planted.invalid_row += 1
                writer.writerow(row)
                planted.rows += 1
        extra = new_persons if new_persons is not None else max(1, int(planted.rows * share * 0.5))
        for person in demo.people(extra + len(known), employer_codes, seed=seed + 1):
            if person["id_number"] in known:
                continue
            if planted.missing_local >= extra:
                break
            writer.writerow([person[c] if not isinstance(person[c], date) else person[c].isoformat()[:10]
                             for c in COLUMNS[:-1]] + [person["paid_through"].strftime("%Y-%m")])
            planted.rows += 1
            planted.missing_local += 1
        out.write(f"#TRAILER,{planted.rows}\n")
    return planted
