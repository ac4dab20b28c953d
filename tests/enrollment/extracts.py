"""Writing small agency extracts for tests, and the register rows they compare with."""

import gzip
from datetime import date
from pathlib import Path

from enrollment.identity import birth_date_of, gender_of, with_id_check_character, with_uscc_check_character

HEADER = "id_number,name,gender,birth_date,insurance_type,employer_code,status,status_date,paid_through"
EMPLOYER = with_uscc_check_character("91320106MA1XYW00" + "1")


def number(stem17: str) -> str:
    return with_id_check_character(stem17)


def row(id_number: str, name: str = "张三", *, insurance_type: str = "RES", employer_code: str = "",
        status: str = "ACTIVE", status_date: str = "2020-01-01", paid_through: str = "2026-10",
        gender: str | None = None, birth_date: str | None = None) -> str:
    gender = gender if gender is not None else gender_of(id_number)
    birth = birth_date if birth_date is not None else birth_date_of(id_number).isoformat()
    return ",".join([id_number, name, gender, birth, insurance_type, employer_code, status, status_date,
                     paid_through])


def write(path: Path, rows: list[str], *, trailer: int | None = None, header: str = HEADER, gz: bool = False,
          newline: str = "\n", bom: bool = False) -> Path:
    count = len([r for r in rows if r.strip()]) if trailer is None else trailer
    text = (("\ufeff" if bom else "") + header + newline + "".join(r + newline for r in rows)
            + f"#TRAILER,{count}" + newline)
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def person_values(id_number: str, name: str = "张三", **kw) -> dict:
    values = dict(id_number=id_number, name=name, gender=gender_of(id_number), birth_date=birth_date_of(id_number),
                  insurance_type="RES", employer_code="", status="ACTIVE", status_date=date(2020, 1, 1),
                  paid_through=date(2026, 10, 1))
    values.update(kw)
    return values
