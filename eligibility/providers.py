"""The providers (定点医药机构) as eligibility reads them: the shared model lives in core
(settlement held it before the kernel's move), looked up once, so the loaders join its table."""

from django.apps import apps


def provider_model():
    for label in ("core.Provider", "settlement.Provider"):
        try:
            return apps.get_model(label)
        except LookupError:
            continue
    raise LookupError("no Provider model")
