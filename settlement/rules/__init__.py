"""The review rules (spec/review-rules.md), each one INSERT … SELECT over a batch, in the spec's order.

`REGISTRY` lists them in the order of the spec's table, which is the order they run in: a line rule
reads what is left of its line after the DEDUCT findings raised before it, and every rule after the
three whole-claim rules skips a claim they took. `run_rules(batch)` gathers the batch's lines once
(sql.WORKING_SET, a temporary table the line rules read), runs the rules in the caller's transaction
and returns the seconds each took (WORKING_SET's under "working set").
"""

import time

from django.db import connection, transaction

from .catalog import TABLE
from .eligibility import RULES as ELIGIBILITY
from .lines import (
    AGE_RESTRICTED,
    CAT_UNKNOWN_ITEM,
    INDICATION_MISMATCH,
    PRICE_OVER_CAP,
    QTY_DAYS_SUPPLY,
    SERVICE_DATE_OUTSIDE_STAY,
    SEX_RESTRICTED,
)
from .sql import WORKING_SET
from .units import BED_DAYS_OVER_STAY, DUP_SAME_DAY, FREQ_OVER_LIMIT
from .visits import (
    OUT_OF_AREA_NO_REFERRAL,
    OUTPATIENT_SAME_DAY,
    PENALTY_MONITORING,
    REFERRAL_NOT_VALID,
    SPECIAL_NOT_REGISTERED,
    SPLIT_ADMISSION,
)

REGISTRY = [
    *ELIGIBILITY,
    SERVICE_DATE_OUTSIDE_STAY, SEX_RESTRICTED, AGE_RESTRICTED, PRICE_OVER_CAP, DUP_SAME_DAY, BED_DAYS_OVER_STAY,
    QTY_DAYS_SUPPLY, INDICATION_MISMATCH, FREQ_OVER_LIMIT,
    SPLIT_ADMISSION, OUTPATIENT_SAME_DAY, CAT_UNKNOWN_ITEM, SPECIAL_NOT_REGISTERED, REFERRAL_NOT_VALID,
    OUT_OF_AREA_NO_REFERRAL, PENALTY_MONITORING,
]
assert [rule.code for rule in REGISTRY] == [rule.code for rule in TABLE], "the registry must follow the spec"


def run_rules(batch_id: int) -> dict[str, float]:
    """Raise every rule's findings on the batch, in order; the seconds each rule took."""
    seconds = {}
    with transaction.atomic(), connection.cursor() as cursor:  # WORK lives until the transaction ends
        start = time.perf_counter()
        for statement in WORKING_SET:
            cursor.execute(statement, {"batch": batch_id})
        seconds["working set"] = time.perf_counter() - start
        for rule in REGISTRY:
            start = time.perf_counter()
            rule.run(cursor, batch_id)
            seconds[rule.code] = time.perf_counter() - start
    return seconds
