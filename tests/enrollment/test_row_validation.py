"""The SQL row validation (enrollment/reconciliation/sql.py) agrees with the spec, written here
again in plain Python from spec/agency-extract.md, on rows hypothesis breaks in every listed way."""

import string
from datetime import date

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from enrollment.identity import PROVINCES
from enrollment.reconciliation import sql
from enrollment.reconciliation.extract import COLUMNS, STAGE, create_tables

from .extracts import EMPLOYER, number

TODAY = date(2026, 11, 23)


def _real_date(text: str) -> bool:
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not (text[:4] + text[5:7] + text[8:]).isdigit():
        return False
    try:
        return date(int(text[:4]), int(text[5:7]), int(text[8:])) is not None
    except ValueError:
        return False


def reference(cols: list[str]) -> set[str]:
    """spec/agency-extract.md, 'A row is invalid … for exactly these reasons'."""
    if len(cols) != 9:
        return {"row:columns"}
    id_number, name, gender, birth, itype, employer, status, status_date, paid = cols
    problems = set()
    idn = id_number.upper()
    shape = len(idn) == 18 and idn[:17].isdigit() and (idn[17].isdigit() or idn[17] == "X") and idn.isascii()
    if not name.strip():
        problems.add("name:empty")
    if not shape:
        problems.add("id_number:format")
    elif int(idn[:2]) not in PROVINCES:
        problems.add("id_number:province")
    elif ric.calc_check_digit(idn) != idn[17]:
        problems.add("id_number:check")
    if gender not in ("1", "2"):
        problems.add("gender:value")
    elif shape and gender != ("1" if int(idn[16]) % 2 else "2"):
        problems.add("gender:id_mismatch")
    if not _real_date(birth):
        problems.add("birth_date:date")
    elif birth > TODAY.isoformat():
        problems.add("birth_date:future")
    elif shape and birth.replace("-", "") != idn[6:14]:
        problems.add("birth_date:id_mismatch")
    if not _real_date(status_date):
        problems.add("status_date:date")
    elif _real_date(birth) and status_date < birth:
        problems.add("status_date:before_birth")
    if itype not in ("EMP", "RES"):
        problems.add("insurance_type:value")
    if status not in ("ACTIVE", "SUSPENDED", "TERMINATED"):
        problems.add("status:value")
    code = employer.strip().upper()
    if itype == "EMP" and not (len(code) == 18 and uscc.is_valid(code)):
        problems.add("employer_code:invalid")
    elif itype == "RES" and code:
        problems.add("employer_code:not_empty")
    month_ok = len(paid) == 7 and paid[4] == "-" and (paid[:4] + paid[5:]).isdigit() and 1 <= int(paid[5:]) <= 12 \
        and int(paid[:4]) >= 1
    if not month_ok:
        problems.add("paid_through:month")
    return problems


VALID = [number("32010219850615001"), "张三", "1", "1985-06-15", "EMP", EMPLOYER, "ACTIVE", "2020-01-01", "2026-10"]

MUTATIONS = {
    "check": lambda r, d: r.__setitem__(0, r[0][:17] + ("3" if not r[0][17:18].isdigit()
                                                          else str((int(r[0][17]) + 1 + d % 9) % 10))),
    "province": lambda r, d: r.__setitem__(0, number(f"{[10, 16, 20, 39, 47, 66, 70, 90][d % 8]}"
                                                     + r[0][2:17])),
    "short_id": lambda r, d: r.__setitem__(0, r[0][: 10 + d % 7]),
    "lower_x": lambda r, d: r.__setitem__(0, number("11010519491231002").lower()),
    "empty_name": lambda r, d: r.__setitem__(1, " " * (d % 3)),
    "gender": lambda r, d: r.__setitem__(2, ["0", "3", "", "2", "M"][d % 5]),
    "birth": lambda r, d: r.__setitem__(3, ["1985-02-30", "1985-13-01", "85-06-15", "2030-01-01", "1985-06-16",
                                            "1984-02-29", "0000-01-01"][d % 7]),
    "status_date": lambda r, d: r.__setitem__(7, ["2020-02-30", "1980-01-01", "2020/01/01", "1985-06-14",
                                                  "1985-06-15"][d % 5]),
    "itype": lambda r, d: r.__setitem__(4, ["emp", "RES", "ABC", ""][d % 4]),
    "employer": lambda r, d: r.__setitem__(5, [EMPLOYER[:-1] + "0", "", EMPLOYER.lower(), "123",
                                               EMPLOYER[:8] + "I" + EMPLOYER[9:]][d % 5]),
    "status": lambda r, d: r.__setitem__(6, ["active", "DEAD", ""][d % 3]),
    "paid": lambda r, d: r.__setitem__(8, ["2026-13", "2026-00", "26-10", "2026-1", ""][d % 5]),
    "columns": lambda r, d: r.append("extra") if d % 2 else r.pop(),
}

rows_strategy = st.lists(
    st.tuples(st.lists(st.sampled_from(sorted(MUTATIONS)), max_size=3), st.integers(0, 1000),
              st.text(alphabet=string.ascii_letters + "张王李", max_size=4)),
    min_size=1, max_size=25,
)


def _sql_problems(rows: list[list[str]]) -> list[set[str]]:
    with transaction.atomic(), connection.cursor() as cur:
        create_tables(cur)
        with cur.copy(f"COPY {STAGE} (line_no, {', '.join(COLUMNS)}, ncols) FROM STDIN") as copy:
            for i, r in enumerate(rows):
                cols = r if len(r) == 9 else [r[0] if r else ""] + [""] * 8
                copy.write_row([i, *cols, len(r)])
        cur.execute(f"SELECT line_no, problems FROM ({sql.validated(STAGE)}) v ORDER BY line_no",
                    {"today": TODAY.isoformat()})
        out = [set(problems) for _line, problems in cur.fetchall()]
        transaction.set_rollback(True)
    return out


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows_strategy)
def test_sql_validation_agrees_with_the_spec(examples):
    rows = []
    for mutations, seed, name in examples:
        r = list(VALID)
        if name:
            r[1] = name
        for m in sorted(mutations, key=lambda m: m == "columns"):  # a shortened row last
            MUTATIONS[m](r, seed)
        rows.append(r)
    assert _sql_problems(rows) == [reference(r) for r in rows]


@pytest.mark.django_db
def test_the_valid_row_has_no_problem_and_each_mutation_one():
    assert _sql_problems([list(VALID)]) == [set()]
    for name, mutate in MUTATIONS.items():
        r = list(VALID)
        mutate(r, 1)
        assert _sql_problems([r]) == [reference(r)], name
