"""The spec's demo policy as a pure snapshot (from the data migration's own table), for tests
that need no database."""

import importlib

from eligibility.calculation import HUNDRED, Policy, Rate

DEMO = importlib.import_module("eligibility.migrations.0002_seed_demo_policy").DEMO


def demo_policy(insurance_type: str) -> Policy:
    terms = DEMO[insurance_type]
    tier = terms["large_expense_ratio_percent"]
    return Policy(
        version_id=None, name=terms["name"], insurance_type=insurance_type,
        rates={key: Rate(d, r / HUNDRED) for key, (d, r) in terms["rates"].items()},
        annual_cap=terms["annual_cap"], class_b_first_share=HUNDRED / 1000,
        referral_adjustment=HUNDRED / 2000, out_of_area_adjustment=HUNDRED / 1000, out_of_area_other_ratio=HUNDRED * 0,
        large_expense_ratio=None if tier is None else tier / HUNDRED, large_expense_cap=terms["large_expense_cap"],
    )
