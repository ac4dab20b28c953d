"""The review of an accepted batch (spec/review-rules.md, spec/benefit-calculation.md): every rule, then
each claim's money on what remains, then the batch's totals; accepted → reviewed as the system user.

`review_batch` is one transaction: it deletes the batch's findings first, so a worker killed mid-review
leaves the batch `accepted` and the rerun starts from nothing (the unique constraint on findings makes a
finding twice impossible besides). `recompute_batch` recomputes the money alone, after findings are
decided.

The money (benefit-calculation step 6): claims of the batch in order (admission date, then claim_no), each
counting, against the person's annual caps, the fund ledger, the claims of batches accepted before this one
and not yet settled (at what they pay now) and the claims of this batch before it.
"""

import functools
import json
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.system import system_user
from core.workflow import transition
from eligibility.calculation import ZERO, Episode, Line, Result, YearToDate, calculate
from eligibility.selectors.ledger import year_to_date_for
from eligibility.selectors.policies import policy_book

from ..models import ClaimBatch, Finding
from ..rules import run_rules
from ..rules.catalog import WHOLE_CLAIM
from ..rules.sql import (
    BATCH,
    CLAIM,
    CLAIMS,
    FINDING,
    PROVIDER,
    REGISTRATION,
    WORK,
    WORKING_SET,
    valid_registration,
)

Status = ClaimBatch.Status
TAKES_WHOLE_CLAIM_WHEN_UPHELD = ("ELIG_NAME_MISMATCH", "THIRD_PARTY_CHECK")


def review_batch(*, batch: ClaimBatch) -> ClaimBatch:
    """Run every rule on an accepted batch, compute each claim's money, move it to `reviewed`."""
    with transaction.atomic():
        locked = ClaimBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Status.ACCEPTED:
            return locked  # reviewed already (a second delivery of the task)
        Finding.objects.filter(batch=locked).delete()
        run_rules(locked.pk)
        totals = _compute(locked)
        return transition(locked, Status.REVIEWED, actor=system_user(),
                          changes={**totals, "reviewed_at": timezone.now()})


def recompute_batch(batch: ClaimBatch) -> ClaimBatch:
    """Recompute every claim's money and the batch's totals from the findings as decided now."""
    with transaction.atomic():
        locked = ClaimBatch.objects.select_for_update().get(pk=batch.pk)
        totals = _compute(locked, working_set=True)
        for field, value in totals.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(totals))
        return locked


# -- reading what the calculation needs, a few queries per batch ---------------------------------------
# The batch's claims and lines come from the review's working set (settlement.rules.sql.WORKING_SET: the
# claims with their provider and register entry, the lines with their catalogue entry), made by the rules
# in the same transaction, or by recompute_batch.

# What the findings take from each line (DEDUCT not dismissed, REVIEW upheld; shares of a claim-level
# deduction on its lines), and the claims a finding takes whole.
_TAKEN = (
    "SELECT f.claim_id, f.line_id, f.rule_code, f.severity, f.decision, f.amount_at_issue, f.detail "
    f"FROM {FINDING} f WHERE f.batch_id = %(batch)s AND f.severity <> 'INFO' "
    "AND ((f.severity = 'DEDUCT' AND f.decision <> 'DISMISSED') OR (f.severity = 'REVIEW' AND f.decision = 'UPHELD'))"
)
_INFO = (f"SELECT f.claim_id, f.rule_code FROM {FINDING} f WHERE f.batch_id = %(batch)s "
         "AND f.rule_code IN ('REFERRAL_NOT_VALID', 'SPECIAL_NOT_REGISTERED')")

_PEOPLE = f"SELECT DISTINCT person_id FROM {CLAIMS} WHERE person_id IS NOT NULL"
_YEARS = f"SELECT DISTINCT extract(year FROM admission_date)::int FROM {CLAIMS}"
_CHOSEN = (
    f"SELECT c.id FROM {CLAIMS} c WHERE EXISTS (SELECT 1 FROM {REGISTRATION} r WHERE r.person_id = c.person_id "
    f"AND r.kind = 'RESIDENCE_ELSEWHERE' AND {valid_registration('r', 'c.admission_date')} "
    "AND c.provider_code = ANY(r.provider_codes))"
)
# The previous claim of an episode a claim continues (transfer_from = PROVIDER_CODE:CLAIM_NO).
_TRANSFERS = (
    f"SELECT c.id, o.id, o.calculation FROM {CLAIMS} c JOIN {PROVIDER} opv "
    "ON opv.code = split_part(c.transfer_from, ':', 1) "
    f"JOIN {CLAIM} o ON o.provider_id = opv.id AND o.claim_no = substr(c.transfer_from, length(opv.code) + 2) "
    "WHERE c.transfer_from <> ''"
)
# What claims of batches accepted before this one and not yet settled pay now, per person and year.
_UNSETTLED = (
    f"SELECT c.patient_id_number, extract(year FROM c.admission_date)::int, "
    "COALESCE(SUM(c.fund_payable), 0), COALESCE(SUM(c.large_expense_payable), 0) "
    f"FROM {CLAIM} c JOIN {BATCH} b ON b.id = c.batch_id WHERE b.id < %(batch)s "
    "AND b.status IN ('accepted', 'reviewed', 'under_audit') AND c.patient_id_number IN "
    f"(SELECT patient_id_number FROM {CLAIMS}) GROUP BY 1, 2"
)
# The batch's claims in the order they count against the caps (admission date, then claim_no), and their lines
# in the same order, read side by side through two server-side cursors so that memory does not grow with the
# batch.
_CLAIMS_IN_ORDER = (
    "SELECT id, visit_type, patient_id_number, admission_date, referral_no, emergency, provider_level, provider_area, "
    f"person_id, insurance_type FROM {CLAIMS} ORDER BY seq"
)
_LINES_IN_ORDER = (f"SELECT claim_id, id, amount, quantity, ci_pay_class, ci_category, ci_price_cap FROM {WORK} "
                   "ORDER BY claim_seq, position")
_FETCH = 5000  # rows a round trip of a server-side cursor, and claims a COPY of their money
_MONEY = "settlement_review_money"
_MONEY_TABLE = (f"DROP TABLE IF EXISTS {_MONEY}; CREATE TEMPORARY TABLE {_MONEY} (id bigint, deducted numeric, "
                "fund numeric, large numeric, personal numeric, calculation jsonb) ON COMMIT DROP")
_UPDATE = (
    f"UPDATE {CLAIM} c SET deducted = v.deducted, fund_payable = v.fund, large_expense_payable = v.large, "
    f"personal = v.personal, calculation = v.calculation FROM {_MONEY} v WHERE c.id = v.id"
)


def _fetch(cursor, sql: str, params) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _compute(batch: ClaimBatch, *, working_set: bool = False) -> dict:
    """Every claim's money, written by COPY and one UPDATE; returns the batch's totals. Reads the review's
    working set (made here first with working_set=True)."""
    params = {"batch": batch.pk}
    with connection.cursor() as cursor:
        if working_set:
            for statement in WORKING_SET:
                cursor.execute(statement, params)
        taken_line, whole = defaultdict(lambda: ZERO), set()  # read with .get: no key added per line
        for claim_id, line_id, code, _severity, decision, amount, detail in _fetch(cursor, _TAKEN, params):
            if code in WHOLE_CLAIM or (code in TAKES_WHOLE_CLAIM_WHEN_UPHELD and decision == "UPHELD"):
                whole.add(claim_id)
            elif line_id is not None:
                taken_line[line_id] += amount
            elif detail:
                detail = json.loads(detail) if isinstance(detail, str) else detail
                for share_line, share in detail.get("shares", {}).items():
                    taken_line[int(share_line)] += Decimal(str(share))
        info = defaultdict(set)
        for claim_id, code in _fetch(cursor, _INFO, params):
            info[claim_id].add(code)
        person_ids = [row[0] for row in _fetch(cursor, _PEOPLE, params)]
        years = [row[0] for row in _fetch(cursor, _YEARS, params)]
        chosen = {row[0] for row in _fetch(cursor, _CHOSEN, params)}
        transfers = {cid: calc for cid, _prev, calc in _fetch(cursor, _TRANSFERS, params)}
        unsettled = {(pin, year): YearToDate(Decimal(f), Decimal(g))
                     for pin, year, f, g in _fetch(cursor, _UNSETTLED, params)}
        cursor.execute(_MONEY_TABLE)
    ledger = {year: year_to_date_for(person_ids=person_ids, year=year) for year in years}
    book = policy_book()

    used: dict[tuple[str, int], YearToDate] = {}
    totals = {"total_deducted": ZERO, "total_fund": ZERO, "total_large_expense": ZERO, "total_personal": ZERO}
    rows = []

    def calculate_claim(claim: tuple, bill: list[Line]) -> None:
        (claim_id, visit_type, pin, admission_date, referral_no, emergency, level, area, person_id,
         insurance_type) = claim
        year = admission_date.year
        key = (pin, year)
        before = used.get(key)
        if before is None:
            paid = ledger[year].get(person_id, YearToDate()) if person_id else YearToDate()
            earlier = unsettled.get(key, YearToDate())
            before = YearToDate(paid.fund + earlier.fund, paid.large_expense + earlier.large_expense)
        episode = Episode(
            insurance_type=insurance_type or "", visit_type=visit_type, provider_level=level, provider_area=area,
            referral_valid=bool(referral_no) and "REFERRAL_NOT_VALID" not in info[claim_id],
            special_disease_registered=(visit_type == "OUTPATIENT_SPECIAL"
                                        and "SPECIAL_NOT_REGISTERED" not in info[claim_id]),
            chosen_provider=claim_id in chosen, emergency=emergency,
            deductibles_charged=_charged(claim_id, transfers))
        policy = book.on(episode.insurance_type, admission_date) if person_id else None
        result = calculate(policy, before, episode, bill)
        used[key] = YearToDate(before.fund + result.fund_payable, before.large_expense + result.large_expense_payable)
        # A row of COPY's text format (JSON escapes its control characters; COPY needs its backslashes doubled).
        rows.append(f"{claim_id}\t{result.disallowed}\t{result.fund_payable}\t{result.large_expense_payable}\t"
                    f"{result.personal}\t{_calculation(result, episode, before).replace(BACKSLASH, BACKSLASH * 2)}\n")
        totals["total_deducted"] += result.disallowed
        totals["total_fund"] += result.fund_payable
        totals["total_large_expense"] += result.large_expense_payable
        totals["total_personal"] += result.personal

    def flush() -> None:
        with connection.cursor() as cursor, cursor.copy(f"COPY {_MONEY} FROM STDIN") as copy:
            copy.write("".join(rows))
        rows.clear()

    def fetched(cursor):
        while chunk := cursor.fetchmany(_FETCH):
            yield from chunk

    connection.ensure_connection()
    with (connection.connection.cursor(name="settlement_review_claims") as claims,
          connection.connection.cursor(name="settlement_review_lines") as lines):
        claims.execute(_CLAIMS_IN_ORDER)
        lines.execute(_LINES_IN_ORDER)
        pending = fetched(lines)
        line = next(pending, None)
        for claim in fetched(claims):
            claim_id = claim[0]
            taken = claim_id in whole
            bill = []
            while line is not None and line[0] == claim_id:  # its lines come next, in the same order
                _claim_id, line_id, amount, quantity, pay_class, category, price_cap = line
                bill.append(Line(amount, pay_class, taken, ZERO if taken else min(amount, taken_line.get(line_id, ZERO)),
                                 quantity, category or "", price_cap))
                line = next(pending, None)
            calculate_claim(claim, bill)
            if len(rows) >= _FETCH:
                flush()  # between two fetches: the cursors wait on the server
        flush()
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE)
    return totals


def _charged(claim_id: int, transfers: dict) -> Decimal:
    """The deductibles the episode charged before a claim that continues it (0 for its own episode)."""
    if claim_id not in transfers:
        return ZERO
    calc = transfers[claim_id]
    calc = json.loads(calc) if isinstance(calc, str) else calc
    if calc is None:
        return ZERO
    result = calc.get("result", {})
    return Decimal(result.get("deductibles_charged", "0")) + Decimal(result.get("deductible", "0"))


def _calculation(result: Result, episode: Episode, before: YearToDate) -> str:
    """The calculation as stored with the claim, as JSON: its inputs and every figure (decimals as strings),
    so that it can be redone and explained (eligibility.calculation.explain) later."""
    return _json({
        "policy_version_id": result.policy_version_id,
        "episode": episode._asdict(),
        "year_to_date": {"fund": before.fund, "large_expense": before.large_expense},
        "result": result._asdict(),
    })


_json = functools.partial(json.dumps, default=str)  # a Decimal as its string, tuples as lists
BACKSLASH = "\\"
