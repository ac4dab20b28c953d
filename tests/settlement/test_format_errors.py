"""The format errors of spec/claims-upload.md, exactly: one test each, every error reported (row, column, a
message a clerk can act on), nothing of a rejected file kept but the file and its report; and what is not a
format error is accepted (the review rules' business)."""

import pytest

from settlement.checking.messages import error_message
from settlement.models import Claim, ClaimLine
from tests.factories import make_id_number
from tests.settlement.files import HEADER, PATIENT, csv_bytes, inpatient, line

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def check(user_a, upload):
    """check(rows, header=HEADER) -> the batch's errors as (row, column, code, message), in file order."""

    def do(rows, header=HEADER):
        batch = upload(user_a, csv_bytes(rows, header=header))
        errors = [(e.row, e.column, e.code, error_message(e.code, e.column, e.value, e.detail))
                  for e in batch.errors.order_by("row", "position", "id")]
        if errors:
            assert batch.status == "rejected" and batch.error_count == len(errors)
            assert not Claim.objects.filter(batch=batch).exists()
        else:
            assert batch.status == "reviewed"
        return errors

    return do


def codes(errors):
    return [(row, column, code) for row, column, code, _message in errors]


def test_a_valid_file_is_accepted_whole(check, user_a):
    assert check([line("C1", 1), line("C1", 2), inpatient("I1", 1), inpatient("I1", 2, service_date="2026-10-06")]) == []
    assert Claim.objects.count() == 2 and ClaimLine.objects.count() == 4


def test_a_required_column_missing_from_the_header(check):
    header = [h for h in HEADER if h != "item_name"]
    errors = check([line()], header=header)
    assert codes(errors) == [(1, "item_name", "column_missing")]
    assert "no column “item_name”" in errors[0][3]


def test_optional_columns_may_be_left_out_of_the_header(check):
    optional = {"referral_no", "emergency", "transfer_from", "physician_code", "department"}
    assert check([line()], header=[h for h in HEADER if h not in optional]) == []


@pytest.mark.parametrize("column", ["claim_no", "visit_type", "patient_id_number", "patient_name", "admission_date",
                                    "diagnosis_code", "line_no", "service_date", "item_code", "item_name", "quantity",
                                    "unit_price", "amount"])
def test_a_required_value_missing(check, column):
    errors = check([line(), line(**{"claim_no": "C2", column: ""})])
    assert (3, column, "required") in codes(errors)
    assert f"{column} is empty" in dict(((r, c), m) for r, c, _code, m in errors)[(3, column)]


def test_an_inpatient_claim_without_its_discharge_date(check):
    errors = check([inpatient(discharge_date="")])
    assert codes(errors) == [(2, "discharge_date", "discharge_required")]


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2026/10/08", "20261008", "2026-1-8", "yesterday"])
def test_a_date_that_is_not_a_real_yyyy_mm_dd_date(check, value):
    errors = check([line(admission_date=value, service_date=value)])
    assert codes(errors) == [(2, "admission_date", "date"), (2, "service_date", "date")]
    assert f"“{value}” is not a real date written YYYY-MM-DD" in errors[0][3]


def test_a_leap_day_is_a_real_date(check):
    assert check([line(admission_date="2024-02-29", service_date="2024-02-29")]) == []


def test_a_discharge_date_before_the_admission_date(check):
    errors = check([inpatient(admission_date="2026-10-05", discharge_date="2026-10-04", service_date="2026-10-05")])
    assert codes(errors) == [(2, "discharge_date", "discharge_before_admission")]
    assert "2026-10-04 is before the admission date 2026-10-05" in errors[0][3]


def test_an_unknown_visit_type(check):
    errors = check([line(visit_type="EMERGENCY")])
    assert codes(errors) == [(2, "visit_type", "visit_type")]
    assert "INPATIENT, OUTPATIENT, OUTPATIENT_SPECIAL" in errors[0][3]


def test_an_unknown_emergency_value(check):
    errors = check([line(emergency="yes")])
    assert codes(errors) == [(2, "emergency", "emergency")]


@pytest.mark.parametrize("value", ["32010219800517001", "3201021980051700123", "32010219800517001Y", "3201021980O517001X"])
def test_an_identity_number_that_is_not_17_digits_and_a_check_character(check, value):
    errors = check([line(patient_id_number=value)])
    assert codes(errors) == [(2, "patient_id_number", "id_number_format")]


def test_an_identity_number_with_a_wrong_check_character(check):
    wrong = PATIENT[:17] + ("0" if PATIENT[17] != "0" else "1")
    errors = check([line(patient_id_number=wrong)])
    assert codes(errors) == [(2, "patient_id_number", "id_number_check")]
    assert "probably mistyped" in errors[0][3]


def test_only_the_check_character_is_checked_not_the_county_code(check):
    # 999999 is no county of any year, 1890 an early birth year: the number is still taken as issued.
    from enrollment.identity import with_id_check_character

    assert check([line(patient_id_number=with_id_check_character("99999918900101001"))]) == []
    assert check([line("C2", patient_id_number=make_id_number().lower())]) == []  # a lower-case x is the same


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1,5", "1.2345678"])
def test_a_quantity_that_is_not_a_decimal_above_zero(check, value):
    errors = check([line(quantity=value, amount="25.00")])
    assert codes(errors) == [(2, "quantity", "quantity")]


@pytest.mark.parametrize("column, value", [("unit_price", "12.505"), ("unit_price", "¥12.50"), ("amount", "25.001"),
                                           ("amount", "1e3")])
def test_a_unit_price_or_amount_that_is_not_a_decimal_with_at_most_two_places(check, column, value):
    errors = check([line(**{column: value})])
    assert codes(errors) == [(2, column, "money")]


def test_trailing_zeros_are_not_places(check):
    assert check([line(quantity="2.000", unit_price="12.500", amount="25.0")]) == []


def test_an_amount_that_differs_from_quantity_times_unit_price_to_the_cent(check):
    errors = check([line(quantity="3", unit_price="3.33", amount="10.00"),
                    line("C2", quantity="0.333", unit_price="10.00", amount="3.33")])  # 3.33 to the cent: right
    assert codes(errors) == [(2, "amount", "amount_mismatch")]
    assert "3 × 3.33 = 9.99" in errors[0][3]


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "seven"])
def test_a_days_supply_that_is_not_a_whole_number_above_zero(check, value):
    errors = check([line(days_supply=value)])
    assert codes(errors) == [(2, "days_supply", "days_supply")]


def test_a_days_supply_missing_on_a_drug_line(check):
    """A drug line (the catalogue entry in force on the service date is a DRUG) of an outpatient claim, or of an
    inpatient claim on its discharge date, needs days_supply; other lines may leave it empty."""
    from datetime import date

    from eligibility.models import CatalogueItem

    for code, category, until in (("XJ01CAA040A001", "DRUG", None), ("OLD-DRUG", "DRUG", date(2025, 12, 31)),
                                  ("001", "SERVICE", None)):
        CatalogueItem.objects.create(item_code=code, name=code, category=category, pay_class="A",
                                     effective_from=date(2020, 1, 1), effective_to=until)
    errors = check([
        line("C1", 1),  # outpatient drug line without days_supply: an error
        line("C1", 2, item_code="001", days_supply=""),  # a service
        line("C1", 3, item_code="OLD-DRUG"),  # no longer in the catalogue on the service date
        line("C2", 1, visit_type="OUTPATIENT_SPECIAL", days_supply="7"),  # given
        inpatient("I1", 1, item_code="XJ01CAA040A001"),  # an inpatient drug line before the discharge date
        inpatient("I1", 2, item_code="XJ01CAA040A001", service_date="2026-10-06"),  # discharge medication
    ])
    assert codes(errors) == [(2, "days_supply", "days_supply_required"), (7, "days_supply", "days_supply_required")]
    assert "an outpatient claim" in errors[0][3] and "discharge medication" in errors[1][3]


def test_a_line_no_twice_in_one_claim(check):
    errors = check([line("C1", 1), line("C1", 2), line("C1", "01"), line("C2", 1)])
    assert codes(errors) == [(4, "line_no", "line_no_twice")]
    assert "already used in claim C1, on row 2" in errors[0][3]


def test_claim_fields_that_differ_between_lines_of_one_claim(check):
    errors = check([line("C1", 1), line("C1", 2, patient_name="李四", admission_date="2026-10-09",
                                         service_date="2026-10-09"),
                    line("C1", 3, physician_code="D999", department="外科")])  # line fields may differ
    assert codes(errors) == [(3, "patient_name", "claim_field_differs"), (3, "admission_date", "claim_field_differs")]
    assert "“李四” here but “张三” on row 2" in errors[0][3]


def test_a_claim_no_already_in_an_accepted_batch_of_the_same_provider(check, user_b, upload):
    assert check([line("C1", 1)]) == []
    errors = check([line("C1", 1, item_code="other"), line("C1", 2), line("C3", 1)])
    assert codes(errors) == [(2, "claim_no", "claim_no_accepted"), (3, "claim_no", "claim_no_accepted")]
    assert "already accepted in batch H32019001-0001 (period 2026-10)" in errors[0][3]
    # Another provider's claim numbers are its own.
    assert upload(user_b, csv_bytes([line("C1", 1)])).status == "reviewed"


def test_a_claim_no_of_a_rejected_batch_may_be_used_again(check):
    assert check([line("C1", 1, quantity="0")]) != []
    assert check([line("C1", 1)]) == []


def test_every_error_is_reported_not_just_the_first(check):
    errors = check([line("C1", 1, visit_type="X", quantity="0"), line("C2", 1), line("C3", 1, unit_price="a"),
                    line("C3", 1)])
    assert codes(errors) == [(2, "visit_type", "visit_type"), (2, "quantity", "quantity"), (4, "unit_price", "money"),
                             (5, "line_no", "line_no_twice")]


def test_what_is_not_a_format_error_is_accepted(check):
    """A service date outside the stay, an unknown item or patient, any diagnosis text: the rules' business."""
    assert check([inpatient(service_date="2026-12-01", item_code="NOT-IN-CATALOGUE",
                            patient_id_number=make_id_number(), diagnosis_code="whatever",
                            transfer_from="no colon", referral_no="R-1")]) == []


def test_the_optional_columns_are_kept(check):
    assert check([line("C1", 1, referral_no="ZZ2026-001", emergency="1", transfer_from="H11010001:A-77",
                       physician_code="D320100009", department="心内科", days_supply="5")]) == []
    claim = Claim.objects.get()
    assert (claim.referral_no, claim.emergency, claim.transfer_from) == ("ZZ2026-001", True, "H11010001:A-77")
    assert ClaimLine.objects.filter(physician_code="D320100009", department="心内科", days_supply=5).exists()


def test_a_file_with_no_lines(check):
    assert codes(check([])) == [(None, "", "no_lines")]
