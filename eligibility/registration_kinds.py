"""What each kind of registration needs, declared once per kind (and per penalty measure).

spec/review-rules.md, Registrations: which kinds are dated, how many providers each lists, which
need diagnosis categories or a measure. The loader's checks, the pages and (later) the benefit
applications all read these declarations; a test holds every kind and measure to exactly one.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models.registrations import PenaltyMeasure, RegistrationKind


@dataclass(frozen=True)
class Count:
    """How many entries a list must have: at least `least`, at most `most` (None: no limit)."""

    least: int
    most: int | None = None

    def allows(self, n: int) -> bool:
        return n >= self.least and (self.most is None or n <= self.most)


@dataclass(frozen=True)
class MeasureRules:
    measure: str
    providers: Count | None  # None: provider_codes stays empty


@dataclass(frozen=True)
class KindRules:
    kind: str
    dated: bool  # valid_from / valid_to apply (a referral's validity runs from approved_on instead)
    providers: Count | None  # None: empty; BY_MEASURE: the measure says (PENALTY)
    categories: Count | None  # diagnosis_categories; None: empty
    measured: bool  # measure required (PENALTY) or left empty
    providers_note: object = ""  # what the providers are, for pages


BY_MEASURE = Count(-1)  # marker: the penalty's measure decides its providers

KINDS = {
    RegistrationKind.REFERRAL: KindRules(
        RegistrationKind.REFERRAL, dated=False, providers=Count(1), categories=None, measured=False,
        providers_note=_("the destination and its network (医联体)")),
    RegistrationKind.SPECIAL_DISEASE: KindRules(
        RegistrationKind.SPECIAL_DISEASE, dated=True, providers=None, categories=Count(1), measured=False),
    RegistrationKind.RESIDENCE_ELSEWHERE: KindRules(
        RegistrationKind.RESIDENCE_ELSEWHERE, dated=True, providers=Count(1, 4), categories=None, measured=False,
        providers_note=_("the chosen providers (1 to 4)")),
    RegistrationKind.PENALTY: KindRules(
        RegistrationKind.PENALTY, dated=True, providers=BY_MEASURE, categories=None, measured=True,
        providers_note=_("the providers the person may still use")),
}

MEASURES = {
    PenaltyMeasure.SETTLEMENT_METHOD: MeasureRules(PenaltyMeasure.SETTLEMENT_METHOD, providers=None),
    PenaltyMeasure.RESTRICTED_PROVIDERS: MeasureRules(PenaltyMeasure.RESTRICTED_PROVIDERS, providers=Count(1)),
    PenaltyMeasure.MONITORING: MeasureRules(PenaltyMeasure.MONITORING, providers=None),
}


def provider_rule(kind: str, measure: str = "") -> Count | None:
    """How many providers a registration of this kind (and measure) lists; None: none."""
    rules = KINDS[kind].providers
    if rules is BY_MEASURE:
        return MEASURES[measure].providers if measure in MEASURES else None
    return rules
