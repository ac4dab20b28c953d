"""Writing the loaders' CSV files in tests."""

import csv
from pathlib import Path

CATALOGUE_HEADER = ("item_code", "name", "category", "pay_class", "price_cap", "sex_limit", "age_min", "age_max",
                    "max_per_day", "max_per_claim", "indications", "effective_from", "effective_to")


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row if isinstance(row, (list, tuple)) else [row.get(c, "") for c in header])
    return path


def item(code="XA01", **values) -> dict:
    row = {"item_code": code, "name": "阿莫西林胶囊", "category": "DRUG", "pay_class": "A", "price_cap": "12.50",
           "sex_limit": "", "age_min": "", "age_max": "", "max_per_day": "6", "max_per_claim": "", "indications": "",
           "effective_from": "2024-01-01", "effective_to": ""}
    row.update(values)
    return row


REGISTRATION_HEADER = ("kind", "number", "id_number", "approved_on", "valid_from", "valid_to", "provider_codes",
                       "diagnosis_categories", "measure")


def registration(kind="REFERRAL", number="Z-001", id_number="", **values) -> dict:
    row = {"kind": kind, "number": number, "id_number": id_number, "approved_on": "2026-07-01", "valid_from": "",
           "valid_to": "", "provider_codes": "", "diagnosis_categories": "", "measure": ""}
    row.update({
        "REFERRAL": {"provider_codes": "H11010001"},
        "SPECIAL_DISEASE": {"valid_from": "2026-01-01", "diagnosis_categories": "E11"},
        "RESIDENCE_ELSEWHERE": {"valid_from": "2026-01-01", "provider_codes": "H11010001"},
        "PENALTY": {"valid_from": "2026-01-01", "valid_to": "2026-12-31", "measure": "MONITORING"},
    }.get(kind, {}))
    row.update(values)
    return row
