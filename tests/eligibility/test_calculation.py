"""The benefit calculation against spec/benefit-calculation.md: every worked example to the cent,
then each rule the examples do not reach."""

from decimal import Decimal as D

import pytest

from eligibility.calculation import (
    INPATIENT,
    OUT_OF_AREA,
    OUTPATIENT,
    OUTPATIENT_SPECIAL,
    Episode,
    Line,
    Reason,
    YearToDate,
    as_dict,
    calculate,
    explain,
    percent_text,
    price_at_local_standard,
    ratio_explanation,
)

from .policies import demo_policy

EMP, RES = demo_policy("EMP"), demo_policy("RES")
NOTHING_USED = YearToDate()
EXAMPLE_LINES = [Line(D("5000.00"), "A"), Line(D("2000.00"), "B"), Line(D("500.00"), "C")]


def inpatient(level=3, **facts):
    return Episode(insurance_type=facts.pop("insurance_type", "EMP"), visit_type=INPATIENT, provider_level=level,
                   **facts)


def assert_adds_up(r):
    assert r.fund_payable + r.large_expense_payable + r.personal == r.total
    assert r.self_pay + r.first_self_pay + r.deductible + r.co_payment + r.above_cap == r.personal


# -- the worked examples (demo policy) ------------------------------------------------------------

def test_worked_example_emp_level_3_local_nothing_used():
    r = calculate(EMP, NOTHING_USED, inpatient(), EXAMPLE_LINES)
    assert r.total == D("7500.00")
    assert r.in_scope == D("6800.00")
    assert r.deductible == D("900.00")
    assert r.ratio == D("0.80")
    assert r.fund_payable == D("4720.00")
    assert r.large_expense_payable == D("0.00")
    assert r.personal == D("2780.00")
    assert (r.self_pay, r.first_self_pay, r.deductible, r.co_payment, r.above_cap) == (
        D("500.00"), D("200.00"), D("900.00"), D("1180.00"), D("0.00"))
    assert (r.cap_point, r.above_cap_point) == (D("5900.00"), D("0.00"))
    assert (r.cap_remaining_before, r.cap_remaining_after) == (D("300000.00"), D("295280.00"))
    assert (r.large_expense_remaining_before, r.large_expense_remaining_after) == (D("400000.00"), D("400000.00"))
    assert_adds_up(r)


def test_worked_example_valid_referral_out_of_area_takes_5_points():
    r = calculate(EMP, NOTHING_USED, inpatient(provider_area=OUT_OF_AREA, referral_valid=True), EXAMPLE_LINES)
    assert r.ratio == D("0.75")
    assert r.fund_payable == D("4425.00")
    assert r.reasons == (Reason.OUT_OF_AREA_REFERRAL,)
    assert_adds_up(r)


def test_worked_example_no_valid_referral_out_of_area_takes_10_points():
    r = calculate(EMP, NOTHING_USED, inpatient(provider_area=OUT_OF_AREA), EXAMPLE_LINES)
    assert r.ratio == D("0.70")
    assert r.fund_payable == D("4130.00")
    assert Reason.OUT_OF_AREA_NO_REFERRAL in r.reasons
    assert_adds_up(r)


def test_worked_example_level_1_out_of_area_without_referral_is_not_payable():
    r = calculate(EMP, NOTHING_USED, inpatient(level=1, provider_area=OUT_OF_AREA), EXAMPLE_LINES)
    assert r.ratio == D("0")
    assert r.fund_payable == D("0.00")
    assert r.large_expense_payable == D("0.00")
    assert r.personal == r.total == D("7500.00")
    assert Reason.OUT_OF_AREA_NOT_PAYABLE in r.reasons
    assert_adds_up(r)


def test_worked_example_chosen_provider_under_residence_elsewhere_is_not_adjusted():
    r = calculate(EMP, NOTHING_USED, inpatient(provider_area=OUT_OF_AREA, chosen_provider=True), EXAMPLE_LINES)
    assert r.ratio == D("0.80")
    assert r.fund_payable == D("4720.00")
    assert Reason.OUT_OF_AREA_CHOSEN_PROVIDER in r.reasons
    assert_adds_up(r)


def test_worked_example_res_level_2_near_the_cap():
    # S − D = 10,000.00 at level 2 (deductible 500.00); 199,000.00 already paid this year.
    r = calculate(RES, YearToDate(fund=D("199000.00")), inpatient(level=2, insurance_type="RES"),
                  [Line(D("10500.00"), "A")])
    assert r.fund_base == D("10000.00")
    assert r.fund_before_cap == D("7000.00")
    assert r.cap_remaining_before == D("1000.00")
    assert r.fund_payable == D("1000.00")
    assert r.cap_remaining_after == D("0.00")
    assert r.cap_point == D("1428.57")
    assert r.co_payment == D("428.57")
    assert r.above_cap_point == D("8571.43")
    assert r.large_expense_ratio is None
    assert r.large_expense_payable == D("0.00")
    assert r.above_cap == D("8571.43")
    assert Reason.CAP_REACHED in r.reasons and Reason.NO_LARGE_EXPENSE_TIER in r.reasons
    assert_adds_up(r)


def test_worked_example_above_the_cap_emp():
    r = calculate(EMP, NOTHING_USED, inpatient(), [Line(D("400900.00"), "A")])
    assert r.total == D("400900.00")
    assert r.in_scope == D("400900.00")
    assert r.deductible == D("900.00")
    assert r.fund_before_cap == D("320000.00")
    assert r.fund_payable == D("300000.00")
    assert r.cap_point == D("375000.00")
    assert r.above_cap_point == D("25000.00")
    assert r.large_expense_remaining_before == D("400000.00")
    assert r.large_expense_payable == D("22500.00")
    assert r.large_expense_remaining_after == D("377500.00")
    assert r.personal == D("78400.00")
    assert (r.deductible, r.co_payment, r.above_cap) == (D("900.00"), D("75000.00"), D("2500.00"))
    assert r.fund_payable + r.large_expense_payable + r.personal == D("400900.00")
    assert_adds_up(r)


# -- what the examples do not reach ----------------------------------------------------------------

def test_disallowed_lines_are_removed_first_and_not_the_patients_to_pay():
    lines = [*EXAMPLE_LINES, Line(D("1000.00"), "A", disallowed=True)]
    r = calculate(EMP, NOTHING_USED, inpatient(), lines)
    assert (r.billed, r.disallowed, r.total) == (D("8500.00"), D("1000.00"), D("7500.00"))
    assert r.fund_payable == D("4720.00") and r.personal == D("2780.00")


def test_a_partly_deducted_line_counts_what_is_left_and_b_share_is_on_what_is_left():
    r = calculate(EMP, NOTHING_USED, inpatient(), [Line(D("2000.00"), "B", deducted=D("500.00"))])
    assert r.disallowed == D("500.00") and r.total == D("1500.00")
    assert r.first_self_pay == D("150.00")
    assert r.in_scope == D("1350.00")


def test_class_b_first_self_pay_is_rounded_half_up_per_line():
    # 10% of 0.05 is 0.005 → 0.01 per line (half up), not 0.01 once on the sum.
    r = calculate(EMP, NOTHING_USED, inpatient(), [Line(D("0.05"), "B"), Line(D("0.05"), "B")])
    assert r.first_self_pay == D("0.02")


def test_items_outside_the_catalogue_are_self_pay():
    r = calculate(EMP, NOTHING_USED, inpatient(), [Line(D("1200.00"), None), Line(D("300.00"), "C")])
    assert r.self_pay == D("1500.00") and r.in_scope == D("0.00")
    assert r.deductible == D("0.00") and Reason.DEDUCTIBLE_LIMITED in r.reasons
    assert r.fund_payable == D("0.00") and r.personal == D("1500.00")


def test_a_wholly_deducted_claim_pays_nothing_and_says_why(english):
    lines = [Line(D("800.00"), "A", disallowed=True), Line(D("200.00"), "B", disallowed=True)]
    r = calculate(EMP, NOTHING_USED, inpatient(), lines)
    assert (r.total, r.fund_payable, r.large_expense_payable, r.personal) == (D("0.00"),) * 4
    assert Reason.WHOLLY_DISALLOWED in r.reasons
    assert "was disallowed by the review" in explain(r)[0].reason


def test_no_policy_in_force_pays_nothing_and_says_why(english):
    r = calculate(None, NOTHING_USED, inpatient(), EXAMPLE_LINES)
    assert (r.fund_payable, r.large_expense_payable) == (D("0.00"), D("0.00"))
    assert r.personal == r.total == D("7500.00") and r.self_pay == D("7500.00")
    assert r.reasons == (Reason.NO_POLICY,)
    assert r.policy_version_id is None
    assert any("No benefit policy" in step.reason for step in explain(r))
    assert "ratio" not in {step.code for step in explain(r)}
    with pytest.raises(ValueError, match="no ratio step"):
        ratio_explanation(r)


def test_outpatient_special_with_a_registration_takes_the_special_row():
    episode = Episode(insurance_type="EMP", visit_type=OUTPATIENT_SPECIAL, provider_level=2,
                      special_disease_registered=True)
    r = calculate(EMP, NOTHING_USED, episode, [Line(D("1000.00"), "A")])
    assert (r.rated_as, r.deductible, r.ratio, r.fund_payable) == (OUTPATIENT_SPECIAL, D("0"), D("0.70"), D("700.00"))
    assert Reason.SPECIAL_REGISTERED in r.reasons


def test_outpatient_special_without_a_registration_is_general_outpatient():
    episode = Episode(insurance_type="RES", visit_type=OUTPATIENT_SPECIAL, provider_level=2)
    r = calculate(RES, NOTHING_USED, episode, [Line(D("1000.00"), "A")])
    assert (r.visit_type, r.rated_as) == (OUTPATIENT_SPECIAL, OUTPATIENT)
    assert (r.ratio, r.fund_payable) == (D("0.50"), D("500.00"))
    assert Reason.SPECIAL_NOT_REGISTERED in r.reasons


def test_general_outpatient_out_of_area_is_adjusted_too():
    episode = Episode(insurance_type="EMP", visit_type=OUTPATIENT, provider_level=3, provider_area=OUT_OF_AREA)
    r = calculate(EMP, NOTHING_USED, episode, [Line(D("100.00"), "A")])
    assert (r.ratio, r.fund_payable) == (D("0.40"), D("40.00"))


def test_an_emergency_out_of_area_is_not_adjusted_even_at_level_1():
    r = calculate(EMP, NOTHING_USED, inpatient(level=1, provider_area=OUT_OF_AREA, emergency=True), EXAMPLE_LINES)
    assert r.ratio == D("0.90")
    assert r.fund_payable == D("5850.00")  # (6,800 − 300) × 90%
    assert Reason.OUT_OF_AREA_EMERGENCY in r.reasons


def test_a_referral_does_not_adjust_care_inside_the_area():
    r = calculate(EMP, NOTHING_USED, inpatient(referral_valid=True), EXAMPLE_LINES)
    assert r.ratio == D("0.80") and r.fund_payable == D("4720.00")


def test_a_transfer_pays_only_what_its_deductible_exceeds_the_episodes():
    # Level 2 charged 600 first; the transfer to level 3 (900) pays 300 more: the episode pays 900 once.
    r = calculate(EMP, NOTHING_USED, inpatient(level=3, deductibles_charged=D("600.00")), EXAMPLE_LINES)
    assert (r.policy_deductible, r.deductibles_charged, r.deductible) == (D("900.00"), D("600.00"), D("300.00"))
    assert r.fund_payable == D("5200.00")  # (6,800 − 300) × 80%
    assert Reason.TRANSFER in r.reasons
    back = calculate(EMP, NOTHING_USED, inpatient(level=2, deductibles_charged=D("900.00")), EXAMPLE_LINES)
    assert back.deductible == D("0.00")


def test_the_cap_already_spent_pays_nothing_and_everything_in_scope_is_above_the_cap():
    r = calculate(EMP, YearToDate(fund=D("300000.00")), inpatient(), EXAMPLE_LINES)
    assert (r.fund_payable, r.cap_point, r.above_cap_point) == (D("0.00"), D("0.00"), D("5900.00"))
    assert r.large_expense_payable == D("5310.00")  # 5,900 × 90%
    assert r.co_payment == D("0.00") and r.above_cap == D("590.00")
    assert_adds_up(r)


def test_year_to_date_above_the_cap_leaves_nothing_rather_than_less_than_nothing():
    r = calculate(RES, YearToDate(fund=D("250000.00")), inpatient(level=2, insurance_type="RES"), EXAMPLE_LINES)
    assert r.cap_remaining_before == D("0.00") and r.fund_payable == D("0.00")
    assert_adds_up(r)


def test_the_large_expense_cap_stops_the_tier():
    r = calculate(EMP, YearToDate(fund=D("300000.00"), large_expense=D("399000.00")), inpatient(), EXAMPLE_LINES)
    assert r.large_expense_remaining_before == D("1000.00")
    assert r.large_expense_payable == D("1000.00")
    assert r.large_expense_remaining_after == D("0.00")
    assert Reason.LARGE_EXPENSE_CAP_REACHED in r.reasons
    assert r.above_cap == D("4900.00")
    assert_adds_up(r)


def test_reimbursement_prices_services_at_the_local_cap_and_drugs_at_what_was_paid():
    lines = [
        Line(D("600.00"), "A", quantity=D("3"), category="SERVICE", price_cap=D("150.00")),   # 150.00 over
        Line(D("400.00"), "B", quantity=D("2"), category="MATERIAL", price_cap=D("180.00")),  # 40.00 over
        Line(D("900.00"), "A", quantity=D("1"), category="DRUG", price_cap=D("500.00")),      # at what was paid
        Line(D("100.00"), "A", quantity=D("1"), category="BED", price_cap=D("120.00")),       # under the cap
    ]
    episode = inpatient(level=3, provider_area=OUT_OF_AREA, chosen_provider=True, reimbursement=True)
    r = calculate(EMP, NOTHING_USED, episode, lines)
    assert r.over_local_cap == D("190.00")
    assert r.self_pay == D("190.00")
    assert r.total == D("2000.00") and r.disallowed == D("0.00")  # not a deduction: the person's own
    assert r.first_self_pay == D("36.00")  # 10% of 360.00
    assert r.in_scope == D("450.00") + D("324.00") + D("900.00") + D("100.00") - D("0.00")
    assert_adds_up(r)
    assert price_at_local_standard(lines[0]) == (D("450.00"), D("150.00"))
    assert price_at_local_standard(lines[2]) == (D("900.00"), D("0.00"))


def test_outside_a_reimbursement_the_local_price_cap_changes_nothing():
    line = Line(D("600.00"), "A", quantity=D("3"), category="SERVICE", price_cap=D("150.00"))
    r = calculate(EMP, NOTHING_USED, inpatient(), [line])
    assert r.over_local_cap == D("0.00") and r.in_scope == D("600.00")


def test_a_policy_of_another_insurance_type_is_refused():
    with pytest.raises(ValueError, match="is for RES"):
        calculate(RES, NOTHING_USED, inpatient(), EXAMPLE_LINES)


def test_the_steps_print_every_figure_with_its_reason(english):
    r = calculate(EMP, NOTHING_USED, inpatient(provider_area=OUT_OF_AREA, referral_valid=True),
                  [Line(D("500900.00"), "A")])
    steps = {s.code: s for s in explain(r)}
    assert list(steps) == ["total", "self_pay", "in_scope", "deductible", "ratio", "fund_payable",
                           "large_expense_payable", "personal"]
    assert "valid referral: 5 points less" in steps["ratio"].reason
    assert "The ratio applied is 75%" in steps["ratio"].reason
    assert "500,000.00 × 75% = 375,000.00, more than the 300,000.00 left" in steps["fund_payable"].reason
    assert "cap point P = 300,000.00 ÷ 75% = 400,000.00" in steps["fund_payable"].reason
    assert "L = 100,000.00" in steps["fund_payable"].reason
    assert "G = L × 90% = 100,000.00 × 90% = 90,000.00" in steps["large_expense_payable"].reason
    assert steps["fund_payable"].amount == D("300000.00")
    assert "level 3 institution is 900.00" in steps["deductible"].reason
    assert steps["personal"].amount == r.personal


def test_the_steps_print_in_chinese_in_the_offices_language():
    from django.utils import translation

    r = calculate(EMP, NOTHING_USED, inpatient(), EXAMPLE_LINES)
    with translation.override("zh-hans"):
        steps = explain(r)
    assert [s.amount for s in steps][-1] == D("2780.00")
    assert all(s.reason for s in steps)


def test_as_dict_gives_every_figure_as_a_decimal_string(english):
    data = as_dict(calculate(EMP, NOTHING_USED, inpatient(), EXAMPLE_LINES))
    assert data["fund_payable"] == "4720.00" and data["large_expense_payable"] == "0.00"
    assert data["ratio"] == "0.8000" and data["personal"] == "2780.00"
    assert data["steps"][0]["code"] == "total"


def test_percent_text():
    assert percent_text(D("0.8")) == "80%"
    assert percent_text(D("0.725")) == "72.5%"
    assert percent_text(D("0")) == "0%"
