"""How pages name the review rules and what each severity does, in the reader's language.

The rule codes (spec/review-rules.md) stay the contract of the API and the stored findings; people read
the rule's name instead, with the code small beside it for the provider's IT. One name per rule of the
spec's table (settlement.rules.catalog.TABLE, which a test holds this list to); the Chinese names are the
terms the office uses (超目录限价, 同日重复收费, 分解住院, …).
"""

from django.utils.translation import gettext_lazy as _

NAMES = {
    "ELIG_NOT_INSURED": _("Patient not insured on the date of care"),
    "PENALTY_DIRECT_SETTLEMENT": _("Settlement method changed by a penalty"),
    "PENALTY_RESTRICTED_PROVIDER": _("Patient restricted to other providers by a penalty"),
    "ELIG_NAME_MISMATCH": _("Patient's name differs from the register"),
    "THIRD_PARTY_CHECK": _("Injury: a third party may be liable"),
    "SERVICE_DATE_OUTSIDE_STAY": _("Service date outside the visit or stay"),
    "SEX_RESTRICTED": _("Item limited to the other sex"),
    "AGE_RESTRICTED": _("Item limited to other ages"),
    "PRICE_OVER_CAP": _("Price above the catalogue's price cap"),
    "DUP_SAME_DAY": _("Charged more than the daily limit"),
    "BED_DAYS_OVER_STAY": _("More bed days than days in hospital"),
    "QTY_DAYS_SUPPLY": _("Drugs for more days than allowed"),
    "INDICATION_MISMATCH": _("Diagnosis outside the item's indications"),
    "FREQ_OVER_LIMIT": _("More than the limit per claim"),
    "SPLIT_ADMISSION": _("Readmission soon after discharge"),
    "OUTPATIENT_SAME_DAY": _("Several outpatient visits on one day"),
    "CAT_UNKNOWN_ITEM": _("Item not in the catalogue"),
    "SPECIAL_NOT_REGISTERED": _("Outpatient special disease not registered"),
    "REFERRAL_NOT_VALID": _("Referral not valid"),
    "OUT_OF_AREA_NO_REFERRAL": _("Out of area without a referral"),
    "PENALTY_MONITORING": _("Patient under focused monitoring"),
}

# What each severity does to the money, as a finding's reader needs to know it.
SEVERITY_EFFECTS = {
    "DEDUCT": _("Deducted"),
    "REVIEW": _("An auditor decides"),
    "INFO": _("For information: no money moves"),
}


def rule_name(code: str) -> str:
    """The rule's name in the active language; an unknown code as it is."""
    name = NAMES.get(code)
    return str(name) if name is not None else code


def severity_effect(severity: str) -> str:
    effect = SEVERITY_EFFECTS.get(severity)
    return str(effect) if effect is not None else severity
