"""Demo data for settlement (seed_demo): a batch uploaded by a demo provider and reviewed at once, so that
the provider's pages show findings and each claim's calculation. A second run finds the same file already
uploaded and changes nothing."""

import csv
import io
import random
from datetime import date

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.demo_providers import DEMO_PROVIDERS
from enrollment import demo
from enrollment.models import Person

from .checking.columns import KEYS
from .models import ClaimBatch
from .services import DuplicateFile, check_batch, review_batch, upload_batch

PERIOD = "2026-10"


def _line(claim_no, line_no, person_id, name, **values) -> dict:
    row = {"claim_no": claim_no, "visit_type": "OUTPATIENT", "patient_id_number": person_id, "patient_name": name,
           "admission_date": "2026-10-08", "discharge_date": "", "diagnosis_code": "J06.9", "referral_no": "",
           "emergency": "0", "transfer_from": "", "line_no": str(line_no), "service_date": "2026-10-08",
           "item_code": "001101000010000", "item_name": "普通门诊诊查费", "quantity": "1", "unit_price": "10.00",
           "amount": "10.00", "days_supply": "", "physician_code": "D320100001", "department": "内科"}
    row.update(values)
    return row


def demo_rows(people: list[Person], stranger: str) -> list[dict]:
    """Claims that show the rules: a clean visit, a price over the cap, too many days' supply, an item
    limited to the other sex, an item not in the catalogue, a name that differs, an injury, a patient
    not in the register, and an admission with bed days beyond the stay."""
    a, b, c = people
    drug = {"item_code": "XJ01CAA040A001010100", "item_name": "阿莫西林胶囊 0.25g"}
    return [
        _line("DEMO-0001", 1, a.id_number, a.name),
        _line("DEMO-0001", 2, a.id_number, a.name, **drug, quantity="20", unit_price="0.40", amount="8.00",
              days_supply="5"),
        _line("DEMO-0002", 1, b.id_number, b.name, admission_date="2026-10-09", service_date="2026-10-09",
              quantity="1", unit_price="12.00", amount="12.00"),
        _line("DEMO-0002", 2, b.id_number, b.name, admission_date="2026-10-09", service_date="2026-10-09",
              **drug, quantity="40", unit_price="0.40", amount="16.00", days_supply="10"),
        _line("DEMO-0003", 1, c.id_number, c.name, admission_date="2026-10-10", service_date="2026-10-10",
              **({"item_code": "XG03DAA020A001010100", "item_name": "黄体酮注射液 20mg", "days_supply": "1"}
                 if int(c.id_number[16]) % 2 == 1 else {"item_code": "002702000010000", "item_name": "前列腺特异性抗原测定"}),
              unit_price="3.00", amount="3.00"),
        _line("DEMO-0003", 2, c.id_number, c.name, admission_date="2026-10-10", service_date="2026-10-10",
              item_code="999999999999", item_name="目录外项目", unit_price="50.00", amount="50.00"),
        _line("DEMO-0004", 1, a.id_number, a.name + "华", admission_date="2026-10-12", service_date="2026-10-12",
              diagnosis_code="S52.5"),
        _line("DEMO-0005", 1, stranger, "赵六", admission_date="2026-10-13", service_date="2026-10-13"),
        _line("DEMO-0006", 1, b.id_number, b.name, visit_type="INPATIENT", admission_date="2026-10-01",
              discharge_date="2026-10-04", service_date="2026-10-01", diagnosis_code="K35.8",
              item_code="001201000010000", item_name="普通病房床位费（三人间）", quantity="5", unit_price="40.00",
              amount="200.00"),
        _line("DEMO-0006", 2, b.id_number, b.name, visit_type="INPATIENT", admission_date="2026-10-01",
              discharge_date="2026-10-04", service_date="2026-10-02", diagnosis_code="K35.8",
              item_code="003311000010000", item_name="阑尾切除术", unit_price="1200.00", amount="1200.00"),
    ]


def seed_settlement(*, persons: int = 3000) -> str:
    code = DEMO_PROVIDERS[1][0]
    user = get_user_model().objects.filter(username=code.lower()).first()
    people = list(Person.objects.filter(status="ACTIVE").order_by("id_number")[:3])
    if user is None or len(people) < 3:
        return "settlement: no demo provider login or too few persons; nothing uploaded"
    stranger = demo.id_number(random.Random(16), date(1977, 7, 7), "1", seq=499)
    while Person.objects.filter(id_number=stranger).exists():
        stranger = demo.id_number(random.Random(stranger), date(1977, 7, 7), "1")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(KEYS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(demo_rows(people, stranger))
    try:
        with transaction.atomic():
            batch = upload_batch(actor=user, file=SimpleUploadedFile("demo-claims.csv", out.getvalue().encode()),
                                 period=PERIOD)
    except DuplicateFile as exc:
        batch = exc.batch
    if batch.status == ClaimBatch.Status.RECEIVED:
        batch = check_batch(batch=batch)
    if batch.status == ClaimBatch.Status.ACCEPTED:
        batch = review_batch(batch=batch)
    return f"settlement: demo batch {batch.label} for {code}, {batch.status}, {batch.findings.count()} findings"
