"""The words of each format error (spec/claims-upload.md, Format errors), for a hospital clerk who must
correct the file: worded when read, in the reader's language (the office's by default), from the error's
stable code, the column, the value as uploaded and the figures in `detail`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import batch_label
from .columns import VISIT_TYPES

MESSAGES = {
    # the file as a whole
    "column_missing": gettext_lazy("The header row has no column “%(column)s”. Add it (its cells may stay empty "
                                   "where the format allows)."),
    "no_lines": gettext_lazy("The file has no claim lines under its header row."),
    "unreadable": "%(message)s",
    # one value
    "required": gettext_lazy("%(column)s is empty: every line needs one."),
    "discharge_required": gettext_lazy("discharge_date is empty: an INPATIENT claim needs its discharge date."),
    "date": gettext_lazy("“%(value)s” is not a real date written YYYY-MM-DD (for example 2026-03-05)."),
    "discharge_before_admission": gettext_lazy("The discharge date %(value)s is before the admission date "
                                               "%(admission_date)s."),
    "visit_type": gettext_lazy("“%(value)s” is not a visit type: write %(choices)s."),
    "emergency": gettext_lazy("“%(value)s” is not an emergency flag: write 0 or 1, or leave it empty."),
    "id_number_format": gettext_lazy("An identity number is 17 digits and a check character (a digit or X). In a "
                                     "spreadsheet, format the column as text so that the number is not rounded."),
    "id_number_check": gettext_lazy("The check character (the last one) does not match the other 17 digits: the "
                                    "number was probably mistyped."),
    "quantity": gettext_lazy("“%(value)s” is not a quantity: write a number greater than 0 (at most 6 decimal "
                             "places)."),
    "money": gettext_lazy("“%(value)s” is not an amount of money: write a number with at most two decimal places, "
                          "for example 12.50."),
    "amount_mismatch": gettext_lazy("The amount %(value)s is not quantity × unit_price: %(quantity)s × "
                                    "%(unit_price)s = %(expected)s (to the cent)."),
    "days_supply": gettext_lazy("“%(value)s” is not a number of days: write a whole number greater than 0, or "
                                "leave it empty."),
    "days_supply_required": gettext_lazy("days_supply is empty: a drug line of %(where)s needs the days the "
                                         "quantity lasts."),
    # across rows
    "line_no_twice": gettext_lazy("line_no %(value)s is already used in claim %(claim_no)s, on row %(first_row)s: "
                                  "each line of a claim has its own number."),
    "claim_field_differs": gettext_lazy("%(column)s is “%(value)s” here but “%(there)s” on row %(first_row)s of the "
                                        "same claim: every line of a claim repeats the same claim fields."),
    "claim_no_accepted": gettext_lazy("Claim %(value)s was already accepted in batch %(label)s (period "
                                      "%(period)s): a claim number is used once. Remove these lines, or give the "
                                      "claim its own number."),
}

WHERE = {
    "outpatient": gettext_lazy("an outpatient claim"),
    "discharge": gettext_lazy("an inpatient claim dated on the discharge date (discharge medication)"),
}


def error_message(code: str, column: str = "", value: str = "", detail: dict | None = None) -> str:
    """The error's words in the active language."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    params = {"column": column, "value": value, "choices": ", ".join(VISIT_TYPES), **(detail or {})}
    if "reason" in params:
        params["where"] = WHERE.get(params["reason"], params["reason"])
    if "number" in params:
        params["label"] = batch_label(params.get("provider", ""), params["number"])
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):  # a stored detail from an older wording: never a 500
        return _("Row error %(code)s in column %(column)s.") % {"code": code, "column": column}
