"""A claim's stored calculation (settlement.services.review writes it): back to its Result, and its
steps in the active language through eligibility.calculation.explain."""

from decimal import Decimal

from eligibility.calculation import Result, explain


def result_of(calculation: dict) -> Result:
    """The Result a stored calculation holds."""
    values = dict(calculation["result"])
    for name, kind in Result.__annotations__.items():
        if "Decimal" in str(kind) and values.get(name) is not None:
            values[name] = Decimal(values[name])
    values["reasons"] = tuple(values.get("reasons", ()))
    return Result(**values)


def steps(calculation: dict | None) -> list[dict]:
    """The calculation step by step: code, label, amount (a decimal string or null) and the reason."""
    if not calculation:
        return []
    return [{"code": s.code, "label": str(s.label), "amount": None if s.amount is None else f"{s.amount:.2f}",
             "reason": str(s.reason)} for s in explain(result_of(calculation))]
