"""The benefit calculation (spec/benefit-calculation.md): pure, no ORM, no I/O.

    calculate(policy, year_to_date, episode, lines) -> Result

`policy` is a frozen snapshot of the policy version in force (eligibility.selectors.policies builds
it from the rows), `year_to_date` what the basic fund and the large-expense tier have already paid
for the person in the calendar year (eligibility.selectors.ledger, plus whatever the caller counts
before this claim), `episode` the facts of the visit or admission, `lines` the bill lines.

Money is Decimal, two places, rounded half up (四舍五入) at each step that produces an amount. The
calculation keeps figures and reason codes only; `explain(result)` turns them into the steps with
their reasons in the active language, for letters, pages and the API. Settlement runs this for every
claim of a batch, so the arithmetic path builds no strings and touches no translation catalogue.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.utils.translation import gettext as _

from core.money import institution_text

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Visit types (spec/claims-upload.md, visit_type); eligibility.models.VisitType gives them labels.
INPATIENT = "INPATIENT"
OUTPATIENT = "OUTPATIENT"
OUTPATIENT_SPECIAL = "OUTPATIENT_SPECIAL"
VISIT_TYPES = (INPATIENT, OUTPATIENT, OUTPATIENT_SPECIAL)
LEVELS = (1, 2, 3)

# Catalogue pay classes (甲/乙/丙); None on a line is an item not in the catalogue.
CLASS_A, CLASS_B, CLASS_C = "A", "B", "C"
# Provider areas (core's Provider.area).
LOCAL, OUT_OF_AREA = "LOCAL", "OUT"
# The catalogue category priced at what was paid in a reimbursement (零星报销); every other
# category (services, beds, materials) at no more than the local price cap.
DRUG = "DRUG"


class Reason:
    """Stable codes of what shaped a result; explain() words them."""

    NO_POLICY = "NO_POLICY"
    WHOLLY_DISALLOWED = "WHOLLY_DISALLOWED"
    SPECIAL_REGISTERED = "SPECIAL_REGISTERED"
    SPECIAL_NOT_REGISTERED = "SPECIAL_NOT_REGISTERED"
    TRANSFER = "TRANSFER"
    DEDUCTIBLE_LIMITED = "DEDUCTIBLE_LIMITED"
    OUT_OF_AREA_EMERGENCY = "OUT_OF_AREA_EMERGENCY"
    OUT_OF_AREA_CHOSEN_PROVIDER = "OUT_OF_AREA_CHOSEN_PROVIDER"
    OUT_OF_AREA_REFERRAL = "OUT_OF_AREA_REFERRAL"
    OUT_OF_AREA_NO_REFERRAL = "OUT_OF_AREA_NO_REFERRAL"
    OUT_OF_AREA_NOT_PAYABLE = "OUT_OF_AREA_NOT_PAYABLE"
    CAP_REACHED = "CAP_REACHED"
    NO_LARGE_EXPENSE_TIER = "NO_LARGE_EXPENSE_TIER"
    LARGE_EXPENSE_CAP_REACHED = "LARGE_EXPENSE_CAP_REACHED"


def money(value: Decimal) -> Decimal:
    """Two places, half up."""
    return value.quantize(CENT, ROUND_HALF_UP)


# -- inputs ---------------------------------------------------------------------------------------
# The policy is a frozen dataclass, read once per batch; what is made for every claim and line
# (year to date, episode, lines, result) is a NamedTuple: as immutable, and three times quicker to build.

@dataclass(frozen=True, slots=True)
class Rate:
    """The deductible and the fund ratio (a fraction: 0.80 is 80%) of one visit type at one level."""

    deductible: Decimal
    ratio: Decimal


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy version as the calculation reads it. Ratios and adjustments are fractions
    (0.05 is 5 points). No large-expense ratio means the insurance type has no tier."""

    version_id: int | None
    name: str
    insurance_type: str
    rates: Mapping[tuple[str, int], Rate]
    annual_cap: Decimal
    class_b_first_share: Decimal
    referral_adjustment: Decimal
    out_of_area_adjustment: Decimal
    out_of_area_other_ratio: Decimal
    large_expense_ratio: Decimal | None = None
    large_expense_cap: Decimal | None = None

    def rate(self, visit_type: str, level: int) -> Rate:
        try:
            return self.rates[(visit_type, level)]
        except KeyError:
            raise ValueError(f"policy {self.name!r} has no rate for {visit_type} at level {level}") from None


class YearToDate(NamedTuple):
    """What was already paid for the person in the calendar year, before this claim."""

    fund: Decimal = ZERO
    large_expense: Decimal = ZERO


class Episode(NamedTuple):
    """The facts of one visit or admission that the calculation needs.

    `special_disease_registered`: a SPECIAL_DISEASE registration valid on the visit date lists the
    claim's diagnosis category. `chosen_provider`: the provider is one of the person's chosen
    providers under a RESIDENCE_ELSEWHERE registration valid on the date. `deductibles_charged`:
    for a claim whose transfer_from names the episode's previous claim, the deductibles that the
    episode has already charged (0 for a claim that is its own episode). `reimbursement`: the
    person paid the bill in full out of area and the office reimburses it (零星报销): lines are first
    priced at the local standard.
    """

    insurance_type: str
    visit_type: str
    provider_level: int
    provider_area: str = LOCAL
    referral_valid: bool = False
    special_disease_registered: bool = False
    chosen_provider: bool = False
    emergency: bool = False
    deductibles_charged: Decimal = ZERO
    reimbursement: bool = False


class Line(NamedTuple):
    """One bill line. `amount` is quantity × unit price as billed; `disallowed` removes the whole
    line (an upheld finding on it), `deducted` the part of it that upheld findings took.
    `quantity`, `category` and `price_cap` (the local catalogue's cap per unit) serve the pricing
    of a reimbursement only."""

    amount: Decimal
    pay_class: str | None = None
    disallowed: bool = False
    deducted: Decimal = ZERO
    quantity: Decimal | None = None
    category: str = ""
    price_cap: Decimal | None = None


# -- output ---------------------------------------------------------------------------------------

class Result(NamedTuple):
    """Every figure of the spec's Output. total = fund_payable + large_expense_payable + personal,
    and personal = self_pay + first_self_pay + deductible + co_payment + above_cap."""

    policy_version_id: int | None
    insurance_type: str
    visit_type: str             # as claimed
    rated_as: str               # the row of the policy that applied (门特 without registration: OUTPATIENT)
    provider_level: int
    billed: Decimal             # before step 1
    disallowed: Decimal         # removed in step 1: not the patient's to pay
    total: Decimal              # the lines after step 1
    class_a: Decimal
    class_b: Decimal
    first_self_pay: Decimal     # class B first self-pay (乙类先行自付)
    self_pay: Decimal           # class C, out of catalogue, and above the local price caps
    over_local_cap: Decimal     # the part of self_pay above the local price caps (reimbursement)
    in_scope: Decimal           # S
    policy_deductible: Decimal  # the level's deductible before the episode and S limit it
    deductibles_charged: Decimal
    deductible: Decimal         # D
    base_ratio: Decimal         # the policy's ratio before the out-of-area adjustment
    ratio: Decimal              # r
    fund_base: Decimal          # S − D
    fund_before_cap: Decimal    # (S − D) × r
    cap_remaining_before: Decimal
    cap_remaining_after: Decimal
    cap_point: Decimal          # P
    above_cap_point: Decimal    # L
    fund_payable: Decimal       # F
    large_expense_ratio: Decimal | None
    large_expense_remaining_before: Decimal
    large_expense_remaining_after: Decimal
    large_expense_payable: Decimal  # G
    co_payment: Decimal         # P − F
    above_cap: Decimal          # L − G
    personal: Decimal
    reasons: tuple[str, ...]

    @property
    def capped(self) -> bool:
        return Reason.CAP_REACHED in self.reasons

    @property
    def ratio_adjustment(self) -> Decimal:
        """Points taken off the policy's ratio (negative), as a fraction."""
        return self.ratio - self.base_ratio


# -- the calculation ------------------------------------------------------------------------------

def calculate(policy: Policy | None, year_to_date: YearToDate, episode: Episode, lines: Sequence[Line]) -> Result:
    """Steps 1 to 8 of spec/benefit-calculation.md."""
    if policy is None:
        return _without_policy(episode, lines)
    if policy.insurance_type != episode.insurance_type:
        raise ValueError(f"policy {policy.name!r} is for {policy.insurance_type}, not {episode.insurance_type}")
    reasons: list[str] = []
    billed, disallowed, class_a, class_b, first, self_pay, over_cap = _sum_lines(
        lines, policy.class_b_first_share, episode.reimbursement)
    total = billed - disallowed
    if billed and not total:
        reasons.append(Reason.WHOLLY_DISALLOWED)
    in_scope = class_a + class_b - first  # step 3
    rated_as = _rated_as(episode, reasons)
    level = episode.provider_level
    rate = policy.rate(rated_as, level)
    deductible = _deductible(rate.deductible, episode.deductibles_charged, in_scope, reasons)
    ratio = _adjusted_ratio(policy, episode, rate.ratio, reasons)
    fund_base = in_scope - deductible
    fund_before_cap = (fund_base * ratio).quantize(CENT, ROUND_HALF_UP)
    cap_remaining = _remaining(policy.annual_cap, year_to_date.fund)
    fund, cap_point, above_point = _capped(fund_base, fund_before_cap, ratio, cap_remaining, reasons)
    le_ratio = policy.large_expense_ratio
    if le_ratio is None:  # step 7: the large-expense tier
        reasons.append(Reason.NO_LARGE_EXPENSE_TIER)
        le_remaining = large = ZERO
    else:
        le_remaining = _remaining(policy.large_expense_cap, year_to_date.large_expense)
        large = (above_point * le_ratio).quantize(CENT, ROUND_HALF_UP)
        if large > le_remaining:
            reasons.append(Reason.LARGE_EXPENSE_CAP_REACHED)
            large = le_remaining
    return Result(  # step 8: the personal share in its parts
        policy_version_id=policy.version_id, insurance_type=policy.insurance_type,
        visit_type=episode.visit_type, rated_as=rated_as, provider_level=level,
        billed=billed, disallowed=disallowed, total=total, class_a=class_a, class_b=class_b,
        first_self_pay=first, self_pay=self_pay, over_local_cap=over_cap, in_scope=in_scope,
        policy_deductible=rate.deductible, deductibles_charged=episode.deductibles_charged, deductible=deductible,
        base_ratio=rate.ratio, ratio=ratio, fund_base=fund_base, fund_before_cap=fund_before_cap,
        cap_remaining_before=cap_remaining, cap_remaining_after=cap_remaining - fund,
        cap_point=cap_point, above_cap_point=above_point, fund_payable=fund,
        large_expense_ratio=le_ratio, large_expense_remaining_before=le_remaining,
        large_expense_remaining_after=le_remaining - large, large_expense_payable=large,
        co_payment=cap_point - fund, above_cap=above_point - large, personal=total - fund - large,
        reasons=tuple(reasons),
    )


def _sum_lines(lines: Sequence[Line], share: Decimal, reimbursement: bool) -> tuple[Decimal, ...]:
    """Steps 1 and 2: what was billed and disallowed, and what remains by class (a reimbursement's
    lines priced at the local standard first, the excess self-pay). The class B first self-pay is
    rounded line by line."""
    billed = disallowed = class_a = class_b = first = self_pay = over_cap = ZERO
    for line in lines:
        amount = line.amount
        billed += amount
        if line.disallowed:
            disallowed += amount
            continue
        if line.deducted:
            amount -= line.deducted
            disallowed += line.deducted
        if reimbursement:
            amount, excess = price_at_local_standard(line, amount)
            over_cap += excess
        pay_class = line.pay_class
        if pay_class == CLASS_A:
            class_a += amount
        elif pay_class == CLASS_B:
            class_b += amount
            first += (amount * share).quantize(CENT, ROUND_HALF_UP)
        else:
            self_pay += amount
    return billed, disallowed, class_a, class_b, first, self_pay + over_cap, over_cap


def _deductible(deductible: Decimal, charged: Decimal, in_scope: Decimal, reasons: list[str]) -> Decimal:
    """Step 4: one deductible per episode (a transfer pays what its own exceeds what was charged),
    never more than S."""
    if charged:
        reasons.append(Reason.TRANSFER)
        deductible = deductible - charged if deductible > charged else ZERO
    if deductible > in_scope:
        reasons.append(Reason.DEDUCTIBLE_LIMITED)
        deductible = in_scope
    return deductible


def _remaining(cap: Decimal, used: Decimal) -> Decimal:
    left = cap - used
    return left if left > 0 else ZERO


def _capped(fund_base: Decimal, fund_before_cap: Decimal, ratio: Decimal, cap_remaining: Decimal,
            reasons: list[str]) -> tuple[Decimal, Decimal, Decimal]:
    """Step 6: F, the cap point P and the part above it L."""
    if fund_before_cap <= cap_remaining:
        return fund_before_cap, fund_base, ZERO
    reasons.append(Reason.CAP_REACHED)
    cap_point = (cap_remaining / ratio).quantize(CENT, ROUND_HALF_UP) if cap_remaining else ZERO
    return cap_remaining, cap_point, fund_base - cap_point


def _rated_as(episode: Episode, reasons: list[str]) -> str:
    """Step 5's row: an OUTPATIENT_SPECIAL claim without a registration that lists its diagnosis
    category is calculated as a general outpatient claim (SPECIAL_NOT_REGISTERED)."""
    if episode.visit_type != OUTPATIENT_SPECIAL:
        return episode.visit_type
    if episode.special_disease_registered:
        reasons.append(Reason.SPECIAL_REGISTERED)
        return OUTPATIENT_SPECIAL
    reasons.append(Reason.SPECIAL_NOT_REGISTERED)
    return OUTPATIENT


def _adjusted_ratio(policy: Policy, episode: Episode, ratio: Decimal, reasons: list[str]) -> Decimal:
    """Step 5's out-of-area adjustment (异地就医): the first rule that applies."""
    if episode.provider_area != OUT_OF_AREA:
        return ratio
    if episode.emergency:
        reasons.append(Reason.OUT_OF_AREA_EMERGENCY)
        return ratio
    if episode.chosen_provider:
        reasons.append(Reason.OUT_OF_AREA_CHOSEN_PROVIDER)
        return ratio
    if episode.referral_valid:
        reasons.append(Reason.OUT_OF_AREA_REFERRAL)
        ratio -= policy.referral_adjustment
    elif episode.provider_level in (2, 3):
        reasons.append(Reason.OUT_OF_AREA_NO_REFERRAL)
        ratio -= policy.out_of_area_adjustment
    else:
        reasons.append(Reason.OUT_OF_AREA_NOT_PAYABLE)
        ratio = policy.out_of_area_other_ratio
    return ratio if ratio > 0 else ZERO


def _without_policy(episode: Episode, lines: Sequence[Line]) -> Result:
    """No policy in force: nothing is payable, and the result says why."""
    billed = sum((line.amount for line in lines), ZERO)
    disallowed = sum((line.amount if line.disallowed else line.deducted for line in lines), ZERO)
    total = billed - disallowed
    zeros = dict.fromkeys((
        "class_a", "class_b", "first_self_pay", "over_local_cap", "in_scope", "policy_deductible", "deductible",
        "base_ratio", "ratio", "fund_base", "fund_before_cap", "cap_remaining_before", "cap_remaining_after",
        "cap_point", "above_cap_point", "fund_payable", "large_expense_remaining_before",
        "large_expense_remaining_after", "large_expense_payable", "co_payment", "above_cap"), ZERO)
    return Result(
        policy_version_id=None, insurance_type=episode.insurance_type, visit_type=episode.visit_type,
        rated_as=episode.visit_type, provider_level=episode.provider_level, billed=billed, disallowed=disallowed,
        total=total, self_pay=total, deductibles_charged=episode.deductibles_charged, large_expense_ratio=None,
        personal=total, reasons=(Reason.NO_POLICY,), **zeros,
    )


def price_at_local_standard(line: Line, amount: Decimal | None = None) -> tuple[Decimal, Decimal]:
    """A reimbursed line (of `amount`, what is left of it; the whole line by default) priced at the
    local standard: (the amount priced, what it exceeds the local cap by). Drug lines at the price
    paid; services, beds and materials at no more than the local catalogue's price cap × quantity."""
    amount = line.amount if amount is None else amount
    if line.price_cap is None or line.category == DRUG:
        return amount, ZERO
    capped = money(line.price_cap * line.quantity)
    return (capped, amount - capped) if amount > capped else (amount, ZERO)


# -- the steps in words ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One step of a result as a letter prints it: a stable code, a label, the figure and the reason."""

    code: str
    label: str
    amount: Decimal | None
    reason: str


def amount_text(value: Decimal) -> str:
    return f"{value:,.2f}"


def percent_text(fraction: Decimal) -> str:
    """0.8 → "80%", 0.725 → "72.5%"."""
    value = (fraction * HUNDRED).quantize(CENT, ROUND_HALF_UP).normalize()
    return f"{value:f}%"


def _visit_label(visit_type: str) -> str:
    return {
        INPATIENT: _("inpatient care"),
        OUTPATIENT: _("general outpatient care"),
        OUTPATIENT_SPECIAL: _("outpatient special disease care"),
    }.get(visit_type, visit_type)


def explain(result: Result) -> list[Step]:
    """The steps of a result with their reasons, in the active language."""
    if Reason.NO_POLICY in result.reasons:
        return [
            _lines_step(result),
            Step("fund_payable", _("Basic fund (F)"), ZERO, _(
                "No benefit policy of this insurance type is in force on the service date: the fund pays "
                "nothing.")),
            Step("large_expense_payable", _("Large-expense tier (G)"), ZERO, _(
                "No benefit policy is in force: the large-expense tier pays nothing.")),
            Step("personal", _("Personal share"), result.personal, _(
                "The whole bill is self-pay.")),
        ]
    return [
        _lines_step(result), _class_step(result), _scope_step(result), _deductible_step(result),
        _ratio_step(result), _fund_step(result), _large_expense_step(result), _personal_step(result),
    ]


def ratio_explanation(result: Result) -> str:
    """The reason of explain()'s `ratio` step alone (the coverage check shows only that one), without
    wording the other steps. A result of a policy in force: without one there is no ratio step."""
    if Reason.NO_POLICY in result.reasons:
        raise ValueError("no policy in force: the result has no ratio step")
    return _ratio_step(result).reason


def _lines_step(r: Result) -> Step:
    if Reason.WHOLLY_DISALLOWED in r.reasons:
        reason = _("Every line of the bill (%(billed)s) was disallowed by the review: nothing remains to "
                   "calculate, and nothing is the patient's to pay.") % {"billed": amount_text(r.billed)}
    elif r.disallowed:
        reason = _("The lines come to %(billed)s; %(disallowed)s was disallowed by the review and is not the "
                   "patient's to pay, which leaves %(total)s.") % {
            "billed": amount_text(r.billed), "disallowed": amount_text(r.disallowed), "total": amount_text(r.total)}
    else:
        reason = _("The lines come to %(total)s; the review disallowed nothing.") % {"total": amount_text(r.total)}
    return Step("total", _("Total"), r.total, reason)


def _class_step(r: Result) -> Step:
    reason = _("Class A lines %(a)s are wholly within the policy's scope. Of the class B lines (%(b)s), "
               "a share of each line is first self-pay: %(first)s. Class C lines and items outside the "
               "catalogue are self-pay.") % {
        "a": amount_text(r.class_a), "b": amount_text(r.class_b), "first": amount_text(r.first_self_pay)}
    if r.over_local_cap:
        reason += " " + _("Priced at the local standard, %(over)s above the local price caps is self-pay.") % {
            "over": amount_text(r.over_local_cap)}
    return Step("self_pay", _("Self-pay"), r.self_pay, reason)


def _scope_step(r: Result) -> Step:
    return Step("in_scope", _("In scope (S)"), r.in_scope, _(
        "S = class A %(a)s + class B %(b)s − first self-pay %(first)s = %(s)s.") % {
        "a": amount_text(r.class_a), "b": amount_text(r.class_b), "first": amount_text(r.first_self_pay),
        "s": amount_text(r.in_scope)})


def _deductible_step(r: Result) -> Step:
    reason = _("The deductible for %(visit)s at a %(institution)s is %(deductible)s.") % {
        "visit": _visit_label(r.rated_as), "institution": institution_text(r.provider_level),
        "deductible": amount_text(r.policy_deductible)}
    if Reason.TRANSFER in r.reasons:
        reason += " " + _("This admission continues an episode that has already been charged %(charged)s of "
                          "deductible; one episode pays one deductible, the highest, so only what exceeds it "
                          "is charged.") % {"charged": amount_text(r.deductibles_charged)}
    if Reason.DEDUCTIBLE_LIMITED in r.reasons:
        reason += " " + _("The deductible never exceeds the amount in scope.")
    return Step("deductible", _("Deductible (D)"), r.deductible, reason)


_RATIO_REASONS = {
    Reason.OUT_OF_AREA_EMERGENCY: lambda r: _(
        "Care outside the area in an emergency: the ratio is not adjusted."),
    Reason.OUT_OF_AREA_CHOSEN_PROVIDER: lambda r: _(
        "Care outside the area at a provider the person chose under a residence-elsewhere registration: "
        "the ratio is not adjusted."),
    Reason.OUT_OF_AREA_REFERRAL: lambda r: _(
        "Care outside the area with a valid referral: %(points)s points less.") % {"points": _points(r)},
    Reason.OUT_OF_AREA_NO_REFERRAL: lambda r: _(
        "Care outside the area at a level 2 or 3 hospital without a valid referral: %(points)s points "
        "less.") % {"points": _points(r)},
    Reason.OUT_OF_AREA_NOT_PAYABLE: lambda r: _(
        "Care outside the area at this institution without a valid referral is not payable by the fund."),
}


def _points(r: Result) -> str:
    return percent_text(r.base_ratio - r.ratio).rstrip("%")


def _ratio_step(r: Result) -> Step:
    reason = _("The fund ratio for %(visit)s at a %(institution)s is %(ratio)s.") % {
        "visit": _visit_label(r.rated_as), "institution": institution_text(r.provider_level),
        "ratio": percent_text(r.base_ratio)}
    if Reason.SPECIAL_REGISTERED in r.reasons:
        reason = _("The person's outpatient special disease registration covers the diagnosis.") + " " + reason
    if Reason.SPECIAL_NOT_REGISTERED in r.reasons:
        reason = _("The person has no outpatient special disease registration valid on the visit date that "
                   "covers the diagnosis: the claim is calculated as general outpatient care.") + " " + reason
    for code in r.reasons:
        if code in _RATIO_REASONS:
            reason += " " + _RATIO_REASONS[code](r)
    if r.ratio != r.base_ratio:
        reason += " " + _("The ratio applied is %(ratio)s.") % {"ratio": percent_text(r.ratio)}
    return Step("ratio", _("Fund ratio (r)"), r.ratio, reason)


def _fund_step(r: Result) -> Step:
    values = {
        "base": amount_text(r.fund_base), "ratio": percent_text(r.ratio), "raw": amount_text(r.fund_before_cap),
        "remaining": amount_text(r.cap_remaining_before), "fund": amount_text(r.fund_payable),
        "point": amount_text(r.cap_point), "above": amount_text(r.above_cap_point),
        "after": amount_text(r.cap_remaining_after),
    }
    if r.capped:
        reason = _("(S − D) × r = %(base)s × %(ratio)s = %(raw)s, more than the %(remaining)s left under the "
                   "annual fund cap this year: the fund pays %(fund)s. The cap point P = %(remaining)s ÷ "
                   "%(ratio)s = %(point)s is the part whose share the cap still pays; the part above it is "
                   "L = %(above)s. Left under the cap after this claim: %(after)s.") % values
    else:
        reason = _("(S − D) × r = %(base)s × %(ratio)s = %(raw)s, within the %(remaining)s left under the "
                   "annual fund cap this year. Left under the cap after this claim: %(after)s.") % values
    return Step("fund_payable", _("Basic fund (F)"), r.fund_payable, reason)


def _large_expense_step(r: Result) -> Step:
    if r.large_expense_ratio is None:
        reason = _("This insurance type has no large-expense tier: G = 0.00.")
    elif not r.above_cap_point:
        reason = _("Nothing lies above the cap point, so the large-expense tier pays nothing. Left under its "
                   "annual cap: %(after)s.") % {"after": amount_text(r.large_expense_remaining_after)}
    else:
        values = {"above": amount_text(r.above_cap_point), "ratio": percent_text(r.large_expense_ratio),
                  "remaining": amount_text(r.large_expense_remaining_before),
                  "large": amount_text(r.large_expense_payable),
                  "after": amount_text(r.large_expense_remaining_after)}
        if Reason.LARGE_EXPENSE_CAP_REACHED in r.reasons:
            reason = _("L × %(ratio)s of %(above)s is more than the %(remaining)s left under the large-expense "
                       "tier's annual cap: the tier pays %(large)s. Left after this claim: %(after)s.") % values
        else:
            reason = _("G = L × %(ratio)s = %(above)s × %(ratio)s = %(large)s, within the %(remaining)s left "
                       "under the large-expense tier's annual cap. Left after this claim: %(after)s.") % values
    return Step("large_expense_payable", _("Large-expense tier (G)"), r.large_expense_payable, reason)


def _personal_step(r: Result) -> Step:
    return Step("personal", _("Personal share"), r.personal, _(
        "Personal share %(personal)s = self-pay %(self)s + first self-pay %(first)s + deductible %(deductible)s "
        "+ co-payment %(co)s + above the cap %(above)s; with the fund's %(fund)s and the large-expense tier's "
        "%(large)s it makes the total %(total)s.") % {
        "personal": amount_text(r.personal), "self": amount_text(r.self_pay),
        "first": amount_text(r.first_self_pay), "deductible": amount_text(r.deductible),
        "co": amount_text(r.co_payment), "above": amount_text(r.above_cap), "fund": amount_text(r.fund_payable),
        "large": amount_text(r.large_expense_payable), "total": amount_text(r.total)})


# The figures of a result by name, in the order the API and letters list them.
FIGURES = (
    "billed", "disallowed", "total", "class_a", "class_b", "first_self_pay", "self_pay", "over_local_cap",
    "in_scope", "policy_deductible", "deductibles_charged", "deductible", "base_ratio", "ratio", "fund_base",
    "fund_before_cap", "cap_remaining_before", "cap_remaining_after", "cap_point", "above_cap_point",
    "fund_payable", "large_expense_ratio", "large_expense_remaining_before", "large_expense_remaining_after",
    "large_expense_payable", "co_payment", "above_cap", "personal",
)


RATIOS = ("base_ratio", "ratio", "large_expense_ratio")
RATIO_PLACES = Decimal("0.0001")


def as_dict(result: Result) -> dict:
    """The result as JSON-ready data: figures as decimal strings (ratios as fractions to four places), the reason
    codes, and the steps in the active language. Settlement's API and the letters print this."""
    figures = {name: (None if (v := getattr(result, name)) is None
                      else str(v.quantize(RATIO_PLACES) if name in RATIOS else v)) for name in FIGURES}
    return {
        "policy_version": result.policy_version_id,
        "visit_type": result.visit_type,
        "rated_as": result.rated_as,
        **figures,
        "reasons": list(result.reasons),
        "steps": [{"code": s.code, "label": s.label, "amount": None if s.amount is None else str(s.amount),
                   "reason": s.reason} for s in explain(result)],
    }
