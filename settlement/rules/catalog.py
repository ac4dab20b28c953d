"""The spec's rule table (spec/review-rules.md): every rule's code, severity, scope and default
parameters, in the spec's order. The order is the order the review runs them in and the order of
deductions on a line; `position` is the rule's place in it."""

from dataclasses import dataclass, field

DEDUCT, REVIEW, INFO = "DEDUCT", "REVIEW", "INFO"
CLAIM, LINE = "claim", "line"


@dataclass(frozen=True)
class RuleInfo:
    code: str
    severity: str
    scope: str
    defaults: dict = field(default_factory=dict)


TABLE: tuple[RuleInfo, ...] = (
    RuleInfo("ELIG_NOT_INSURED", DEDUCT, CLAIM),
    RuleInfo("PENALTY_DIRECT_SETTLEMENT", DEDUCT, CLAIM),
    RuleInfo("PENALTY_RESTRICTED_PROVIDER", DEDUCT, CLAIM),
    RuleInfo("ELIG_NAME_MISMATCH", REVIEW, CLAIM),
    RuleInfo("THIRD_PARTY_CHECK", REVIEW, CLAIM, {"prefixes": ["S", "T", "V", "W", "X", "Y"]}),
    RuleInfo("SERVICE_DATE_OUTSIDE_STAY", DEDUCT, LINE),
    RuleInfo("SEX_RESTRICTED", DEDUCT, LINE),
    RuleInfo("AGE_RESTRICTED", DEDUCT, LINE),
    RuleInfo("PRICE_OVER_CAP", DEDUCT, LINE),
    RuleInfo("DUP_SAME_DAY", DEDUCT, LINE),
    RuleInfo("BED_DAYS_OVER_STAY", DEDUCT, CLAIM),
    RuleInfo("QTY_DAYS_SUPPLY", DEDUCT, LINE, {"specified": 30, "chronic": 15, "acute": 7, "special_min": 15,
                                               "inpatient_discharge": 15}),
    RuleInfo("INDICATION_MISMATCH", REVIEW, LINE),
    RuleInfo("FREQ_OVER_LIMIT", REVIEW, LINE),
    RuleInfo("SPLIT_ADMISSION", REVIEW, CLAIM, {"window_days": 10}),
    RuleInfo("OUTPATIENT_SAME_DAY", REVIEW, CLAIM),
    RuleInfo("CAT_UNKNOWN_ITEM", INFO, LINE),
    RuleInfo("SPECIAL_NOT_REGISTERED", INFO, CLAIM),
    RuleInfo("REFERRAL_NOT_VALID", INFO, CLAIM, {"months": 3, "follow_up_months": 12}),
    RuleInfo("OUT_OF_AREA_NO_REFERRAL", INFO, CLAIM),
    RuleInfo("PENALTY_MONITORING", INFO, CLAIM),
)

BY_CODE = {rule.code: rule for rule in TABLE}
POSITION = {rule.code: n for n, rule in enumerate(TABLE, start=1)}
WHOLE_CLAIM = ("ELIG_NOT_INSURED", "PENALTY_DIRECT_SETTLEMENT", "PENALTY_RESTRICTED_PROVIDER")
