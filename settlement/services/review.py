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

from ..models import Claim, ClaimBatch, Finding
from ..rules import run_rules
from ..rules.catalog import WHOLE_CLAIM
from ..rules.sql import (
    BATCH,
    CATALOGUE,
    CLAIM,
    FINDING,
    LINE,
    PERSON,
    PROVIDER,
    REGISTRATION,
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
        totals = _compute(locked)
        for field, value in totals.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(totals))
        return locked


# -- reading what the calculation needs, a few queries per batch ---------------------------------------

_LINES = (
    f"SELECT l.claim_id, l.id, l.amount, l.quantity, ci.pay_class, ci.category, ci.price_cap "
    f"FROM {LINE} l JOIN {CLAIM} c ON c.id = l.claim_id "
    f"LEFT JOIN LATERAL (SELECT x.pay_class, x.category, x.price_cap FROM {CATALOGUE} x "
    "WHERE x.item_code = l.item_code AND x.effective_from <= l.service_date "
    "AND (x.effective_to IS NULL OR x.effective_to >= l.service_date) ORDER BY x.effective_from DESC LIMIT 1) ci "
    "ON true WHERE c.batch_id = %(batch)s ORDER BY l.claim_id, l.position"
)

# What the findings take from each line (DEDUCT not dismissed, REVIEW upheld; shares of a claim-level
# deduction on its lines), and the claims a finding takes whole.
_TAKEN = (
    "SELECT f.claim_id, f.line_id, f.rule_code, f.severity, f.decision, f.amount_at_issue, f.detail "
    f"FROM {FINDING} f WHERE f.batch_id = %(batch)s AND f.severity <> 'INFO' "
    "AND ((f.severity = 'DEDUCT' AND f.decision <> 'DISMISSED') OR (f.severity = 'REVIEW' AND f.decision = 'UPHELD'))"
)
_INFO = (f"SELECT f.claim_id, f.rule_code FROM {FINDING} f WHERE f.batch_id = %(batch)s "
         "AND f.rule_code IN ('REFERRAL_NOT_VALID', 'SPECIAL_NOT_REGISTERED')")

_PEOPLE = (
    f"SELECT DISTINCT ON (c.patient_id_number) c.patient_id_number, p.id, p.insurance_type FROM {CLAIM} c "
    f"JOIN {PERSON} p ON p.id_number = c.patient_id_number WHERE c.batch_id = %(batch)s"
)
_CHOSEN = (
    f"SELECT c.id FROM {CLAIM} c JOIN {PROVIDER} pv ON pv.id = c.provider_id WHERE c.batch_id = %(batch)s "
    f"AND EXISTS (SELECT 1 FROM {REGISTRATION} r JOIN {PERSON} p ON p.id = r.person_id "
    "WHERE p.id_number = c.patient_id_number AND r.kind = 'RESIDENCE_ELSEWHERE' "
    f"AND {valid_registration('r', 'c.admission_date')} AND pv.code = ANY(r.provider_codes))"
)
# The previous claim of an episode a claim continues (transfer_from = PROVIDER_CODE:CLAIM_NO).
_TRANSFERS = (
    f"SELECT c.id, o.id, o.calculation FROM {CLAIM} c JOIN {PROVIDER} opv "
    "ON opv.code = split_part(c.transfer_from, ':', 1) "
    f"JOIN {CLAIM} o ON o.provider_id = opv.id AND o.claim_no = substr(c.transfer_from, length(opv.code) + 2) "
    "WHERE c.batch_id = %(batch)s AND c.transfer_from <> ''"
)
# What claims of batches accepted before this one and not yet settled pay now, per person and year.
_UNSETTLED = (
    f"SELECT c.patient_id_number, extract(year FROM c.admission_date)::int, "
    "COALESCE(SUM(c.fund_payable), 0), COALESCE(SUM(c.large_expense_payable), 0) "
    f"FROM {CLAIM} c JOIN {BATCH} b ON b.id = c.batch_id WHERE b.id < %(batch)s "
    "AND b.status IN ('accepted', 'reviewed', 'under_audit') AND c.patient_id_number IN "
    f"(SELECT patient_id_number FROM {CLAIM} WHERE batch_id = %(batch)s) GROUP BY 1, 2"
)

_UPDATE = (
    f"UPDATE {CLAIM} c SET deducted = v.deducted, fund_payable = v.fund, large_expense_payable = v.large, "
    "personal = v.personal, calculation = v.calculation "
    "FROM unnest(%s::bigint[], %s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[], %s::jsonb[]) "
    "AS v(id, deducted, fund, large, personal, calculation) WHERE c.id = v.id"
)


def _fetch(cursor, sql: str, params) -> list[tuple]:
    cursor.execute(sql, params)
    return cursor.fetchall()


def _compute(batch: ClaimBatch) -> dict:
    """Every claim's money, written in one UPDATE; returns the batch's totals."""
    params = {"batch": batch.pk}
    claims = list(Claim.objects.filter(batch=batch).select_related("provider").order_by("admission_date", "claim_no")
                  .only("id", "claim_no", "visit_type", "patient_id_number", "admission_date", "referral_no",
                        "emergency", "transfer_from", "total", "provider__level", "provider__area",
                        "provider__code"))
    with connection.cursor() as cursor:
        lines = defaultdict(list)
        for claim_id, line_id, amount, quantity, pay_class, category, price_cap in _fetch(cursor, _LINES, params):
            lines[claim_id].append((line_id, amount, quantity, pay_class, category, price_cap))
        taken_line, whole = defaultdict(lambda: ZERO), set()
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
        people = {id_number: (pid, itype) for id_number, pid, itype in _fetch(cursor, _PEOPLE, params)}
        chosen = {row[0] for row in _fetch(cursor, _CHOSEN, params)}
        transfers = {cid: calc for cid, _prev, calc in _fetch(cursor, _TRANSFERS, params)}
        unsettled = {(pin, year): YearToDate(Decimal(f), Decimal(g))
                     for pin, year, f, g in _fetch(cursor, _UNSETTLED, params)}
    years = {c.admission_date.year for c in claims}
    ledger = {year: year_to_date_for(person_ids=[pid for pid, _t in people.values()], year=year) for year in years}
    book = policy_book()

    used: dict[tuple[str, int], YearToDate] = {}
    results: dict[int, Result] = {}
    rows = ([], [], [], [], [], [])
    totals = {"total_deducted": ZERO, "total_fund": ZERO, "total_large_expense": ZERO, "total_personal": ZERO}
    for claim in claims:
        person = people.get(claim.patient_id_number)
        year = claim.admission_date.year
        key = (claim.patient_id_number, year)
        before = used.get(key)
        if before is None:
            paid = ledger[year].get(person[0], YearToDate()) if person else YearToDate()
            earlier = unsettled.get(key, YearToDate())
            before = YearToDate(paid.fund + earlier.fund, paid.large_expense + earlier.large_expense)
        episode = Episode(
            insurance_type=person[1] if person else "", visit_type=claim.visit_type,
            provider_level=claim.provider.level, provider_area=claim.provider.area,
            referral_valid=bool(claim.referral_no) and "REFERRAL_NOT_VALID" not in info[claim.id],
            special_disease_registered=(claim.visit_type == "OUTPATIENT_SPECIAL"
                                        and "SPECIAL_NOT_REGISTERED" not in info[claim.id]),
            chosen_provider=claim.id in chosen, emergency=claim.emergency,
            deductibles_charged=_charged(claim.id, transfers, results))
        bill = [Line(amount=amount, pay_class=pay_class, disallowed=claim.id in whole,
                     deducted=min(amount, taken_line[line_id]) if claim.id not in whole else ZERO,
                     quantity=quantity, category=category or "", price_cap=price_cap)
                for line_id, amount, quantity, pay_class, category, price_cap in lines[claim.id]]
        policy = book.on(episode.insurance_type, claim.admission_date) if person else None
        result = calculate(policy, before, episode, bill)
        results[claim.id] = result
        used[key] = YearToDate(before.fund + result.fund_payable, before.large_expense + result.large_expense_payable)
        for column, value in zip(rows, (claim.id, result.disallowed, result.fund_payable,
                                        result.large_expense_payable, result.personal,
                                        _calculation(result, episode, before)), strict=True):
            column.append(value)
        totals["total_deducted"] += result.disallowed
        totals["total_fund"] += result.fund_payable
        totals["total_large_expense"] += result.large_expense_payable
        totals["total_personal"] += result.personal
    with connection.cursor() as cursor:
        cursor.execute(_UPDATE, rows)
    return totals


def _charged(claim_id: int, transfers: dict, results: dict) -> Decimal:
    """The deductibles the episode charged before a claim that continues it (0 for its own episode)."""
    if claim_id not in transfers:
        return ZERO
    calc = transfers[claim_id]
    calc = json.loads(calc) if isinstance(calc, str) else calc
    if calc is None:
        return ZERO
    result = calc.get("result", {})
    return Decimal(result.get("deductibles_charged", "0")) + Decimal(result.get("deductible", "0"))


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _calculation(result: Result, episode: Episode, before: YearToDate):
    """The calculation as stored with the claim: its inputs and every figure, so that it can be redone
    and explained (eligibility.calculation.explain) later."""
    from psycopg.types.json import Jsonb

    return Jsonb({
        "policy_version_id": result.policy_version_id,
        "episode": {k: _plain(v) for k, v in episode._asdict().items()},
        "year_to_date": {"fund": str(before.fund), "large_expense": str(before.large_expense)},
        "result": {k: _plain(v) for k, v in result._asdict().items()},
    })

