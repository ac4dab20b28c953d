"""Claims files for the tests: valid lines by default, any field overridden, in CSV, XLSX or JSON."""

import csv
import io
import json
from datetime import date

from settlement.checking.columns import KEYS
from tests.factories import make_id_number

HEADER = list(KEYS)
PATIENT = make_id_number(date(1980, 5, 17), "1")
PATIENT_2 = make_id_number(date(1992, 11, 3), "2")


def line(claim_no="C001", line_no=1, **values) -> dict:
    """One valid outpatient bill line; keyword arguments replace fields."""
    row = {
        "claim_no": claim_no, "visit_type": "OUTPATIENT", "patient_id_number": PATIENT, "patient_name": "张三",
        "admission_date": "2026-10-08", "discharge_date": "", "diagnosis_code": "J06.9", "referral_no": "",
        "emergency": "0", "transfer_from": "", "line_no": str(line_no), "service_date": "2026-10-08",
        "item_code": "XJ01CAA040A001", "item_name": "阿莫西林胶囊", "quantity": "2", "unit_price": "12.50",
        "amount": "25.00", "days_supply": "", "physician_code": "D320100001", "department": "内科",
    }
    row.update({k: str(v) for k, v in values.items()})
    return row


def inpatient(claim_no="I001", line_no=1, **values) -> dict:
    return line(claim_no, line_no, **{"visit_type": "INPATIENT", "admission_date": "2026-10-01",
                                      "discharge_date": "2026-10-06", "service_date": "2026-10-02",
                                      "diagnosis_code": "K35.8", **values})


def many_lines(claims: int, lines_per_claim: int, prefix: str = "C") -> list[dict]:
    return [line(f"{prefix}{c:06d}", n, quantity="1", unit_price="3.20", amount="3.20")
            for c in range(claims) for n in range(1, lines_per_claim + 1)]


def csv_bytes(rows, header=HEADER, encoding="utf-8", bom=False, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(key, "") for key in header])
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, header=HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("claims")
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(key, "") for key in header])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def json_bytes(rows, header=HEADER) -> bytes:
    return json.dumps([{k: row.get(k, "") for k in header} for row in rows], ensure_ascii=False).encode()
