from datetime import date
from decimal import Decimal as D

from django.db import migrations

# spec/benefit-calculation.md, Policy: the demo policy, in force from 2020-01-01 with no end.
# (visit type, level) -> (deductible, fund ratio %), per insurance type.
OUTPATIENT_ROWS = {
    **{("OUTPATIENT_SPECIAL", level): (D("0"), D("70")) for level in (1, 2, 3)},
    **{("OUTPATIENT", level): (D("0"), D("50")) for level in (1, 2, 3)},
}
DEMO = {
    "EMP": {
        "name": "示范市职工基本医疗保险 2020",
        "annual_cap": D("300000"), "large_expense_ratio_percent": D("90"), "large_expense_cap": D("400000"),
        "rates": {("INPATIENT", 1): (D("300"), D("90")), ("INPATIENT", 2): (D("600"), D("85")),
                  ("INPATIENT", 3): (D("900"), D("80")), **OUTPATIENT_ROWS},
    },
    "RES": {
        "name": "示范市城乡居民基本医疗保险 2020",
        "annual_cap": D("200000"), "large_expense_ratio_percent": None, "large_expense_cap": None,
        "rates": {("INPATIENT", 1): (D("200"), D("80")), ("INPATIENT", 2): (D("500"), D("70")),
                  ("INPATIENT", 3): (D("800"), D("60")), **OUTPATIENT_ROWS},
    },
}
EFFECTIVE_FROM = date(2020, 1, 1)


def seed(apps, schema_editor):
    """The demo policy: one version per insurance type. Idempotent (a version already there from
    2020-01-01 is left as the administrator keeps it)."""
    PolicyVersion = apps.get_model("eligibility", "PolicyVersion")
    PolicyRate = apps.get_model("eligibility", "PolicyRate")
    for insurance_type, terms in DEMO.items():
        if PolicyVersion.objects.filter(insurance_type=insurance_type, effective_from=EFFECTIVE_FROM).exists():
            continue
        version = PolicyVersion.objects.create(
            insurance_type=insurance_type, name=terms["name"], effective_from=EFFECTIVE_FROM, effective_to=None,
            annual_cap=terms["annual_cap"], class_b_first_share_percent=D("10"),
            referral_adjustment_points=D("5"), out_of_area_adjustment_points=D("10"),
            out_of_area_other_ratio_percent=D("0"), large_expense_ratio_percent=terms["large_expense_ratio_percent"],
            large_expense_cap=terms["large_expense_cap"], note="spec/benefit-calculation.md demo policy",
        )
        PolicyRate.objects.bulk_create(
            PolicyRate(policy=version, visit_type=visit_type, hospital_level=level, deductible=deductible,
                       ratio_percent=ratio)
            for (visit_type, level), (deductible, ratio) in terms["rates"].items()
        )


def unseed(apps, schema_editor):
    apps.get_model("eligibility", "PolicyVersion").objects.filter(
        effective_from=EFFECTIVE_FROM, note="spec/benefit-calculation.md demo policy").delete()


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
