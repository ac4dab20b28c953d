"""Properties of the benefit calculation (hypothesis), over random policies, years to date,
episodes and lines: the parts add up, the caps hold, nothing is negative, and paying never grows
when the ratio falls or a line goes."""

from dataclasses import replace
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.calculation import (
    CENT,
    FIGURES,
    LEVELS,
    OUT_OF_AREA,
    VISIT_TYPES,
    Episode,
    Line,
    Policy,
    Rate,
    YearToDate,
    calculate,
    explain,
    ratio_explanation,
)

from .policies import demo_policy

money = st.decimals(min_value=0, max_value=500_000, places=2, allow_nan=False, allow_infinity=False)
small_money = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False, allow_infinity=False)
fraction = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)
points = st.decimals(min_value=0, max_value=D("0.3"), places=4, allow_nan=False, allow_infinity=False)


@st.composite
def policies(draw, insurance_type="EMP"):
    if draw(st.booleans()):
        return demo_policy(draw(st.sampled_from(["EMP", "RES"])))
    rates = {(v, lv): Rate(draw(small_money), draw(fraction)) for v in VISIT_TYPES for lv in LEVELS}
    tier = draw(st.one_of(st.none(), fraction))
    return Policy(
        version_id=None, name="random", insurance_type=insurance_type, rates=rates, annual_cap=draw(money),
        class_b_first_share=draw(fraction), referral_adjustment=draw(points), out_of_area_adjustment=draw(points),
        out_of_area_other_ratio=draw(fraction), large_expense_ratio=tier,
        large_expense_cap=None if tier is None else draw(money),
    )


@st.composite
def lines(draw):
    amount = draw(st.decimals(min_value=0, max_value=200_000, places=2, allow_nan=False, allow_infinity=False))
    quantity = draw(st.integers(min_value=1, max_value=20))
    deducted = draw(st.sampled_from([D(0), D(0), (amount / 3).quantize(CENT), amount]))
    return Line(
        amount=amount, pay_class=draw(st.sampled_from(["A", "B", "C", None])), disallowed=draw(st.booleans()) and
        draw(st.booleans()), deducted=deducted, quantity=D(quantity),
        category=draw(st.sampled_from(["DRUG", "SERVICE", "MATERIAL", "BED"])),
        price_cap=draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=20_000, places=2, allow_nan=False,
                                                        allow_infinity=False))),
    )


@st.composite
def cases(draw):
    policy = draw(policies())
    episode = Episode(
        insurance_type=policy.insurance_type, visit_type=draw(st.sampled_from(VISIT_TYPES)),
        provider_level=draw(st.sampled_from(LEVELS)), provider_area=draw(st.sampled_from(["LOCAL", OUT_OF_AREA])),
        referral_valid=draw(st.booleans()), special_disease_registered=draw(st.booleans()),
        chosen_provider=draw(st.booleans()), emergency=draw(st.booleans()),
        deductibles_charged=draw(st.sampled_from([D("0.00"), D("300.00"), D("600.00"), D("1000.00")])),
        reimbursement=draw(st.booleans()),
    )
    cap = policy.annual_cap
    ytd = YearToDate(
        fund=draw(st.one_of(money, st.just(cap), st.just(max(cap - D("0.01"), D(0))))),
        large_expense=draw(money),
    )
    return policy, ytd, episode, draw(st.lists(lines(), max_size=12))


def paid(result):
    return result.fund_payable + result.large_expense_payable


@settings(max_examples=250, deadline=None)
@given(cases())
def test_fund_plus_large_expense_plus_personal_is_the_total(case):
    r = calculate(*case)
    assert r.fund_payable + r.large_expense_payable + r.personal == r.total
    assert r.self_pay + r.first_self_pay + r.deductible + r.co_payment + r.above_cap == r.personal
    assert r.billed - r.disallowed == r.total


@settings(max_examples=250, deadline=None)
@given(cases())
def test_the_fund_and_the_tier_stay_within_what_their_caps_leave(case):
    r = calculate(*case)
    assert r.fund_payable <= r.cap_remaining_before
    assert r.large_expense_payable <= r.large_expense_remaining_before
    assert r.cap_remaining_after == r.cap_remaining_before - r.fund_payable
    assert r.large_expense_remaining_after == r.large_expense_remaining_before - r.large_expense_payable


@settings(max_examples=250, deadline=None)
@given(cases())
def test_nothing_is_negative_and_every_amount_is_in_cents(case):
    r = calculate(*case)
    for name in FIGURES:
        value = getattr(r, name)
        if value is None:
            continue
        assert value >= 0, name
        if "ratio" not in name:
            assert value == value.quantize(CENT), name


@settings(max_examples=250, deadline=None)
@given(cases())
def test_the_ratio_explanation_alone_is_the_ratio_steps_reason(case):
    """What the coverage check shows (the ratio step without the others) is explain()'s own words."""
    r = calculate(*case)
    assert ratio_explanation(r) == next(step.reason for step in explain(r) if step.code == "ratio")


def _lowered(policy: Policy, by: D) -> Policy:
    rates = {key: Rate(rate.deductible, max(rate.ratio - by, D(0))) for key, rate in policy.rates.items()}
    return replace(policy, rates=rates, out_of_area_other_ratio=max(policy.out_of_area_other_ratio - by, D(0)))


@settings(max_examples=250, deadline=None)
@given(cases(), st.decimals(min_value=D("0.0001"), max_value=1, places=4, allow_nan=False, allow_infinity=False),
       fraction)
def test_a_lower_ratio_never_pays_more(case, by, tier_by):
    policy, ytd, episode, bill = case
    before = calculate(policy, ytd, episode, bill)
    lower = _lowered(policy, by)
    after = calculate(lower, ytd, episode, bill)
    assert after.ratio <= before.ratio
    assert after.fund_payable <= before.fund_payable
    assert after.large_expense_payable <= before.large_expense_payable
    if policy.large_expense_ratio is not None:
        lower_tier = replace(policy, large_expense_ratio=max(policy.large_expense_ratio - tier_by, D(0)))
        assert paid(calculate(lower_tier, ytd, episode, bill)) <= paid(before)


@settings(max_examples=250, deadline=None)
@given(cases(), st.data())
def test_removing_a_line_never_pays_more(case, data):
    policy, ytd, episode, bill = case
    if not bill:
        bill = [Line(D("100.00"), "A")]
    index = data.draw(st.integers(min_value=0, max_value=len(bill) - 1))
    before = calculate(policy, ytd, episode, bill)
    after = calculate(policy, ytd, episode, bill[:index] + bill[index + 1:])
    assert after.fund_payable <= before.fund_payable
    assert after.large_expense_payable <= before.large_expense_payable
    assert after.total <= before.total
