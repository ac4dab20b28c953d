"""The columns of the claims file (spec/claims-upload.md, File), in the spec's order.

`header`: whether the header row must name the column (a column marked "no" may be left out of the
header altogether; discharge_date and days_supply are required on some rows, so their columns must
be there). `claim`: a claim field, the same on every line of a claim.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: bool = True  # the header must name it
    claim: bool = False  # a claim field (claim_no to transfer_from)


COLUMNS = (
    Column("claim_no", claim=True),
    Column("visit_type", claim=True),
    Column("patient_id_number", claim=True),
    Column("patient_name", claim=True),
    Column("admission_date", claim=True),
    Column("discharge_date", claim=True),
    Column("diagnosis_code", claim=True),
    Column("referral_no", header=False, claim=True),
    Column("emergency", header=False, claim=True),
    Column("transfer_from", header=False, claim=True),
    Column("line_no"),
    Column("service_date"),
    Column("item_code"),
    Column("item_name"),
    Column("quantity"),
    Column("unit_price"),
    Column("amount"),
    Column("days_supply"),
    Column("physician_code", header=False),
    Column("department", header=False),
)

KEYS = tuple(c.key for c in COLUMNS)
CLAIM_FIELDS = tuple(c.key for c in COLUMNS if c.claim)
HEADER_REQUIRED = tuple(c.key for c in COLUMNS if c.header)
POSITION = {key: index + 1 for index, key in enumerate(KEYS)}  # 0: the file as a whole

# Values every row must have (discharge_date: on inpatient claims; days_supply: on drug lines, see
# settlement.checking.sql.days_supply_missing).
VALUE_REQUIRED = ("claim_no", "visit_type", "patient_id_number", "patient_name", "admission_date", "diagnosis_code",
                  "line_no", "service_date", "item_code", "item_name", "quantity", "unit_price", "amount")

VISIT_TYPES = ("INPATIENT", "OUTPATIENT", "OUTPATIENT_SPECIAL")
