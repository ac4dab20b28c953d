"""Masking of personal data on pages, lists and exports."""


def mask_id_number(value: str) -> str:
    """'320911199001011234' -> '3209**********1234'."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """'张三丰' -> '张*丰', '张三' -> '张*'; Latin names keep their first letter."""
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
