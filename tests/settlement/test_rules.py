"""Every review rule (spec/review-rules.md): a hit and a near miss each, and the order cases."""

from datetime import date
from decimal import Decimal as D

import pytest

from enrollment.models import StatusChange
from settlement.models import Finding
from settlement.rules import REGISTRY, run_rules
from settlement.rules.catalog import TABLE
from settlement.rules.sql import WORKING_SET
from tests.factories import PersonFactory, ProviderFactory, make_id_number
from tests.settlement.builder import Batches, findings, item, registration

OCT8 = date(2026, 10, 8)


@pytest.fixture
def hospital(db):
    return ProviderFactory(code="H32018801", level=2, area="LOCAL")


@pytest.fixture
def b(hospital, provider_user):
    return Batches(hospital, provider_user)


@pytest.fixture
def man(db):
    return PersonFactory(id_number=make_id_number(date(1980, 5, 17), "1"), name="张三")


@pytest.fixture
def woman(db):
    return PersonFactory(id_number=make_id_number(date(1992, 11, 3), "2"), name="李四")


@pytest.fixture
def srv(db):
    return item("SRV001")


def review(batch):
    run_rules(batch.id)
    return findings(batch)


def codes(batch):
    return [f[0] for f in findings(batch)]


def test_the_registry_follows_the_spec_table():
    assert [r.code for r in REGISTRY] == [r.code for r in TABLE]
    assert [r.position for r in REGISTRY] == list(range(1, 22))


def test_a_clean_claim_has_no_finding(b, man, srv):
    b.claim("C1", man, [{"amount": "10.00"}])
    assert review(b.batch) == []


# -- ELIG_NOT_INSURED ----------------------------------------------------------------------------------

def test_not_in_register(b, srv):
    from types import SimpleNamespace
    ghost = SimpleNamespace(id_number=make_id_number(date(1970, 1, 1), "1"), name="王五")
    b.claim("C1", ghost, [{"amount": "10.00"}, {"amount": "5.00"}])
    (f,) = review(b.batch)
    assert f == ("ELIG_NOT_INSURED", "C1", None, D("15.00"))
    assert "2026-10-08" in Finding.objects.get().explanation


def test_status_in_force_not_active_and_near_miss(b, man, woman, srv):
    StatusChange.objects.create(person=man, status="SUSPENDED", status_date=date(2026, 10, 1), source="LOAD")
    StatusChange.objects.create(person=woman, status="SUSPENDED", status_date=date(2026, 10, 9), source="LOAD")
    b.claim("C1", man, [{"amount": "10.00"}])
    b.claim("C2", woman, [{"amount": "10.00"}])  # suspended only the day after
    assert review(b.batch) == [("ELIG_NOT_INSURED", "C1", None, D("10.00"))]


def test_first_status_after_the_date_is_not_insured(b, srv):
    late = PersonFactory(status_date=date(2026, 10, 9))
    b.claim("C1", late, [{"amount": "10.00"}])
    assert [f[0] for f in review(b.batch)] == ["ELIG_NOT_INSURED"]


# -- penalties -----------------------------------------------------------------------------------------

def test_penalty_direct_settlement_takes_the_claim_and_stops_line_rules(b, man, woman, srv):
    registration(man, "PENALTY", "P1", measure="SETTLEMENT_METHOD", valid_from=date(2026, 10, 1))
    registration(woman, "PENALTY", "P2", measure="SETTLEMENT_METHOD", valid_from=date(2026, 10, 9))
    b.claim("C1", man, [{"amount": "10.00"}, {"item": "NOPE", "amount": "3.00"}], diagnosis="S06.0")
    b.claim("C2", woman, [{"amount": "10.00"}])
    assert review(b.batch) == [("PENALTY_DIRECT_SETTLEMENT", "C1", None, D("13.00"))]


def test_penalty_restricted_provider(b, man, woman, hospital, srv):
    other = ProviderFactory(code="H32018802")
    registration(man, "PENALTY", "P1", measure="RESTRICTED_PROVIDERS", provider_codes=[other.code])
    registration(woman, "PENALTY", "P2", measure="RESTRICTED_PROVIDERS", provider_codes=[hospital.code])
    b.claim("C1", man, [{"amount": "10.00"}])
    b.claim("C2", woman, [{"amount": "10.00"}])
    assert review(b.batch) == [("PENALTY_RESTRICTED_PROVIDER", "C1", None, D("10.00"))]
    assert other.code in Finding.objects.get().explanation


def test_only_the_first_whole_claim_rule(b, man, hospital, srv):
    StatusChange.objects.create(person=man, status="SUSPENDED", status_date=date(2026, 10, 1), source="LOAD")
    registration(man, "PENALTY", "P1", measure="SETTLEMENT_METHOD")
    b.claim("C1", man, [{"amount": "10.00"}])
    assert [f[0] for f in review(b.batch)] == ["ELIG_NOT_INSURED"]


# -- ELIG_NAME_MISMATCH, THIRD_PARTY_CHECK -------------------------------------------------------------

def test_name_mismatch_never_shows_the_registers_name(b, man, srv):
    b.claim("C1", man, [{"amount": "10.00"}], name="张 三丰")
    b.claim("C2", man, [{"amount": "10.00"}], name="张\u3000三 ", admission=date(2026, 10, 9))  # white space only: the same name
    assert review(b.batch) == [("ELIG_NAME_MISMATCH", "C1", None, D("10.00"))]
    text = Finding.objects.get().explanation
    assert "张 三丰" in text and "张三" not in text.replace("张 三丰", "")


def test_third_party_check(b, man, srv):
    b.claim("C1", man, [{"amount": "10.00"}], diagnosis="s06.0")
    b.claim("C2", man, [{"amount": "10.00"}], diagnosis="R06.0", admission=date(2026, 10, 9))
    assert review(b.batch) == [("THIRD_PARTY_CHECK", "C1", None, D("10.00"))]


# -- line rules ----------------------------------------------------------------------------------------

def test_service_date_outside_stay(b, man, srv):
    b.claim("I1", man, [{"service_date": date(2026, 10, 6), "amount": "7.00"},
                        {"service_date": date(2026, 10, 5), "amount": "8.00"},
                        {"service_date": date(2026, 9, 30), "amount": "9.00"}],
            visit_type="INPATIENT", admission=date(2026, 10, 1), discharge=date(2026, 10, 5), diagnosis="K35.8")
    b.claim("C2", man, [{"service_date": date(2026, 10, 9), "amount": "4.00"}, {"amount": "5.00"}])
    assert review(b.batch) == [("SERVICE_DATE_OUTSIDE_STAY", "C2", 1, D("4.00")),
                               ("SERVICE_DATE_OUTSIDE_STAY", "I1", 1, D("7.00")),
                               ("SERVICE_DATE_OUTSIDE_STAY", "I1", 3, D("9.00"))]


def test_sex_restricted(b, man, woman):
    item("GYN", sex_limit="F")
    b.claim("C1", man, [{"item": "GYN", "amount": "20.00"}])
    b.claim("C2", woman, [{"item": "GYN", "amount": "20.00"}])
    assert review(b.batch) == [("SEX_RESTRICTED", "C1", 1, D("20.00"))]


def test_age_restricted_and_29_february(b):
    item("KID", age_max=5)
    leap = PersonFactory(id_number=make_id_number(date(2020, 2, 29), "1"))
    b.claim("C1", leap, [{"item": "KID", "amount": "6.00", "service_date": date(2026, 3, 1)}],
            admission=date(2026, 3, 1))  # six on 1 March
    b.claim("C2", leap, [{"item": "KID", "amount": "6.00", "service_date": date(2026, 2, 28)}],
            admission=date(2026, 2, 28))  # still five
    assert review(b.batch) == [("AGE_RESTRICTED", "C1", 1, D("6.00"))]


def test_age_restricted_is_not_evaluated_without_a_birth_date(b, admin_user):
    """The upload checks an identity number's check character, not its date: a number whose 7th to 14th
    characters are not a date is accepted. Such a patient is in no register, so ELIG_NOT_INSURED takes the
    claim; with that rule switched off the age rule cannot be evaluated (no finding, and no error)."""
    from settlement.services.rules import set_rule
    set_rule(actor=admin_user, rule_code="ELIG_NOT_INSURED", enabled=False, effective_from=date(2026, 10, 1))
    item("KID", age_max=5)
    stem = "11010519801332001"  # the 32nd day of the 13th month
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    odd = PersonFactory.build(id_number=stem + "10X98765432"[sum(int(d) * w for d, w in zip(stem, weights,
                                                                                            strict=True)) % 11],
                              birth_date=date(1980, 1, 1))  # not saved: a claim's patient only
    b.claim("C1", odd, [{"item": "KID", "amount": "6.00"}])
    assert review(b.batch) == []


def test_price_over_cap_after_an_earlier_deduction(b, man):
    item("CAP", price_cap=D("10.00"), sex_limit="")
    b.claim("C1", man, [{"item": "CAP", "quantity": "3", "unit_price": "12.50", "amount": "37.50"},
                        {"item": "CAP", "quantity": "3", "unit_price": "10.00", "amount": "30.00"}])
    assert review(b.batch) == [("PRICE_OVER_CAP", "C1", 1, D("7.50"))]


def test_two_rules_on_one_line_never_take_its_money_twice(b, woman):
    item("GYN", sex_limit="M", price_cap=D("1.00"))
    b.claim("C1", woman, [{"item": "GYN", "quantity": "2", "unit_price": "5.00", "amount": "10.00"}])
    assert review(b.batch) == [("SEX_RESTRICTED", "C1", 1, D("10.00"))]  # nothing left for PRICE_OVER_CAP


def test_dup_same_day_across_claims_and_batches(b, man):
    item("INJ", max_per_day=D("2"))
    b.claim("A1", man, [{"item": "INJ", "quantity": "1", "unit_price": "3.00", "amount": "3.00"}])
    earlier = b.batch
    b.new()
    b.claim("B1", man, [{"item": "INJ", "quantity": "1", "unit_price": "3.00", "amount": "3.00"},
                        {"item": "INJ", "quantity": "2", "unit_price": "3.00", "amount": "6.00"}],
            admission=date(2026, 10, 8))
    assert findings(earlier) == []
    assert [f for f in review(b.batch) if f[0] == "DUP_SAME_DAY"] == [("DUP_SAME_DAY", "B1", 2, D("6.00"))]


def test_dup_same_day_earlier_batches_what_counts(b, man, provider_user):
    """Of earlier batches: a line dated on the day counts even outside its claim's stay; a claim a whole-claim
    rule took does not count, nor another provider's claims."""
    item("INJ", max_per_day=D("2"))
    StatusChange.objects.create(person=man, status="SUSPENDED", status_date=date(2026, 9, 1), source="LOAD")
    StatusChange.objects.create(person=man, status="ACTIVE", status_date=date(2026, 10, 1), source="LOAD")
    b.claim("A1", man, [{"item": "INJ", "quantity": "2", "unit_price": "3.00", "amount": "6.00", "service_date": OCT8}],
            admission=date(2026, 9, 15))  # not insured on its admission: taken whole
    b.claim("A2", man, [{"item": "INJ", "quantity": "1", "unit_price": "3.00", "amount": "3.00", "service_date": OCT8}],
            admission=date(2026, 10, 2))  # its line is dated after the visit, on the 8th: it counts
    earlier = b.batch
    assert [f[:2] for f in review(earlier)] == [("ELIG_NOT_INSURED", "A1"), ("SERVICE_DATE_OUTSIDE_STAY", "A2")]
    elsewhere = Batches(ProviderFactory(code="H32018899", level=2, area="LOCAL"), provider_user)
    elsewhere.claim("X1", man, [{"item": "INJ", "quantity": "2", "unit_price": "3.00", "amount": "6.00"}])
    b.new()
    b.claim("B1", man, [{"item": "INJ", "quantity": "2", "unit_price": "3.00", "amount": "6.00"}])
    assert review(b.batch) == [("DUP_SAME_DAY", "B1", 1, D("3.00"))]  # 1 (A2) + 2 = 3 units: 1 over


def test_dup_same_day_near_miss(b, man):
    item("INJ", max_per_day=D("2"))
    b.claim("B1", man, [{"item": "INJ", "quantity": "1", "amount": "3.00"},
                        {"item": "INJ", "quantity": "1", "amount": "3.00"}])
    b.claim("B2", man, [{"item": "INJ", "quantity": "5", "amount": "3.00", "service_date": date(2026, 10, 9)}],
            admission=date(2026, 10, 9))
    assert review(b.batch, ) == [("DUP_SAME_DAY", "B2", 1, D("3.00"))]  # 3 over on the 9th, capped at the line


def test_bed_days_over_stay_from_the_last_bed_lines(b, man):
    item("BED", category="BED")
    b.claim("I1", man, [{"item": "BED", "quantity": "3", "unit_price": "50.00", "amount": "150.00",
                         "service_date": date(2026, 10, 1)},
                        {"item": "BED", "quantity": "2", "unit_price": "60.00", "amount": "120.00",
                         "service_date": date(2026, 10, 3)},
                        {"item": "SRV001", "amount": "5.00", "service_date": date(2026, 10, 2)}],
            visit_type="INPATIENT", admission=date(2026, 10, 1), discharge=date(2026, 10, 4), diagnosis="K35.8")
    item("SRV001")
    assert review(b.batch) == [("BED_DAYS_OVER_STAY", "I1", None, D("120.00"))]  # 5 units for 3 days: 2 × 60
    (f,) = Finding.objects.all()
    assert sum(D(v) for v in f.detail["shares"].values()) == D("120.00")


def test_bed_days_near_miss_and_at_least_one_day(b, man):
    item("BED", category="BED")
    b.claim("I1", man, [{"item": "BED", "quantity": "1", "amount": "50.00"}],
            visit_type="INPATIENT", admission=OCT8, discharge=OCT8, diagnosis="K35.8")
    assert review(b.batch) == []


def test_qty_days_supply_spec_example(b, man):
    item("DRG", category="DRUG")
    b.claim("C1", man, [{"item": "DRG", "amount": "12.15", "days_supply": 10}], diagnosis="J06.9")
    b.claim("C2", man, [{"item": "DRG", "amount": "12.15", "days_supply": 15}], diagnosis="I10",
            admission=date(2026, 10, 9))  # chronic: 15 allowed
    assert review(b.batch) == [("QTY_DAYS_SUPPLY", "C1", 1, D("3.65"))]


def test_qty_days_supply_special_and_inpatient_discharge(b, man):
    item("DRG", category="DRUG")
    b.claim("S1", man, [{"item": "DRG", "amount": "10.00", "days_supply": 16}], visit_type="OUTPATIENT_SPECIAL")
    b.claim("I1", man, [{"item": "DRG", "amount": "10.00", "days_supply": 20, "service_date": date(2026, 10, 3)},
                        {"item": "DRG", "amount": "10.00", "days_supply": 20, "service_date": date(2026, 10, 5)}],
            visit_type="INPATIENT", admission=date(2026, 10, 1), discharge=date(2026, 10, 5), diagnosis="K35.8")
    assert [f for f in review(b.batch) if f[0] == "QTY_DAYS_SUPPLY"] == [
        ("QTY_DAYS_SUPPLY", "I1", 2, D("2.50")), ("QTY_DAYS_SUPPLY", "S1", 1, D("0.63"))]


def test_indication_mismatch(b, man):
    item("MET", indications=["E11", "E14"])
    b.claim("C1", man, [{"item": "MET", "amount": "8.00"}], diagnosis="J06.9")
    b.claim("C2", man, [{"item": "MET", "amount": "8.00"}], diagnosis="e11.9", admission=date(2026, 10, 9))
    assert review(b.batch) == [("INDICATION_MISMATCH", "C1", 1, D("8.00"))]


def test_freq_over_limit_from_the_last_lines(b, man):
    item("CT", max_per_claim=D("1"))
    b.claim("C1", man, [{"item": "CT", "amount": "100.00"}, {"item": "CT", "amount": "90.00"}])
    b.claim("C2", man, [{"item": "CT", "amount": "100.00"}], admission=date(2026, 10, 9))
    assert review(b.batch) == [("FREQ_OVER_LIMIT", "C1", 2, D("90.00"))]


def test_cat_unknown_item(b, man, srv):
    item("OLD", effective_to=date(2026, 9, 30))
    b.claim("C1", man, [{"item": "OLD", "amount": "1.00"}, {"amount": "1.00"}])
    assert review(b.batch) == [("CAT_UNKNOWN_ITEM", "C1", 1, D("0.00"))]


# -- visits --------------------------------------------------------------------------------------------

def test_split_admission_within_ten_days(b, man, srv):
    stay = {"visit_type": "INPATIENT", "diagnosis": "K35.8"}
    b.claim("I1", man, [{"amount": "1.00", "service_date": date(2026, 9, 20)}], admission=date(2026, 9, 20),
            discharge=date(2026, 9, 28), **stay)
    b.new()
    b.claim("I2", man, [{"amount": "1.00"}], admission=date(2026, 10, 8), discharge=date(2026, 10, 9), **stay)
    b.claim("I3", man, [{"amount": "1.00", "service_date": date(2026, 10, 20)}], admission=date(2026, 10, 20),
            discharge=date(2026, 10, 21), visit_type="INPATIENT", diagnosis="K36.0")
    assert review(b.batch) == [("SPLIT_ADMISSION", "I2", None, D("0.00"))]


def test_outpatient_same_day(b, man, srv):
    b.claim("C9", man, [{"amount": "1.00"}])
    b.claim("C10", man, [{"amount": "1.00"}])
    b.claim("S1", man, [{"amount": "1.00"}], visit_type="OUTPATIENT_SPECIAL", diagnosis="E11.9")
    registration(man, "SPECIAL_DISEASE", "SD1", diagnosis_categories=["E11"])
    assert review(b.batch) == [("OUTPATIENT_SAME_DAY", "C9", None, D("0.00"))]  # "C10" < "C9" as text


def test_special_not_registered(b, man, srv):
    registration(man, "SPECIAL_DISEASE", "SD1", diagnosis_categories=["E11"])
    b.claim("S1", man, [{"amount": "1.00"}], visit_type="OUTPATIENT_SPECIAL", diagnosis="I10")
    b.claim("S2", man, [{"amount": "1.00"}], visit_type="OUTPATIENT_SPECIAL", diagnosis="E11.9",
            admission=date(2026, 10, 9))
    assert review(b.batch) == [("SPECIAL_NOT_REGISTERED", "S1", None, D("0.00"))]


def test_referrals_and_out_of_area(provider_user, man, woman, srv):
    away = ProviderFactory(code="H11018801", area="OUT", level=3)
    b = Batches(away, provider_user)
    registration(man, "REFERRAL", "R1", approved_on=date(2026, 7, 1), provider_codes=[away.code])
    registration(woman, "REFERRAL", "R2", approved_on=date(2026, 7, 1), provider_codes=["H00000000"])
    b.claim("A1", man, [{"amount": "1.00", "service_date": date(2026, 10, 1)}], referral_no="R1",
            admission=date(2026, 10, 1))  # the last day in time
    b.claim("A2", man, [{"amount": "1.00", "service_date": date(2027, 7, 1)}], referral_no="R1",
            admission=date(2027, 7, 1))  # a follow-up
    b.claim("A3", man, [{"amount": "1.00", "service_date": date(2027, 7, 2)}], referral_no="R1",
            admission=date(2027, 7, 2))  # too late
    b.claim("A4", woman, [{"amount": "1.00"}], referral_no="R1")
    b.claim("A5", woman, [{"amount": "1.00"}], referral_no="R2", admission=date(2026, 10, 9))
    b.claim("A6", woman, [{"amount": "1.00"}], referral_no="NONE", admission=date(2026, 10, 10), emergency=True)
    got = review(b.batch)
    assert [f for f in got if f[0] == "REFERRAL_NOT_VALID"] == [
        ("REFERRAL_NOT_VALID", "A3", None, D("0.00")), ("REFERRAL_NOT_VALID", "A4", None, D("0.00")),
        ("REFERRAL_NOT_VALID", "A5", None, D("0.00")), ("REFERRAL_NOT_VALID", "A6", None, D("0.00"))]
    reasons = dict(Finding.objects.filter(rule_code="REFERRAL_NOT_VALID").values_list("claim__claim_no", "detail"))
    assert [reasons[n]["reason"] for n in ("A3", "A4", "A5", "A6")] == ["time", "person", "destination", "unknown"]
    assert [f[1] for f in got if f[0] == "OUT_OF_AREA_NO_REFERRAL"] == ["A3", "A4", "A5"]


def test_penalty_monitoring(b, man, woman, srv):
    registration(man, "PENALTY", "P1", measure="MONITORING")
    b.claim("C1", man, [{"amount": "1.00"}])
    b.claim("C2", woman, [{"amount": "1.00"}])
    assert review(b.batch) == [("PENALTY_MONITORING", "C1", None, D("0.00"))]


# -- parameters as data --------------------------------------------------------------------------------

def test_settings_are_seeded_with_every_rule_on(db):
    from settlement.models import RuleSetting
    assert sorted(RuleSetting.objects.filter(enabled=True).values_list("rule_code", flat=True)) == sorted(
        r.code for r in TABLE)
    assert RuleSetting.objects.get(rule_code="SPLIT_ADMISSION").params == {"window_days": 10}


def test_a_rule_switched_off_for_a_period_is_audited_and_read_on_the_admission_date(b, man, srv, admin_user):
    from core.models import AuditEntry
    from settlement.services.rules import set_rule
    set_rule(actor=admin_user, rule_code="THIRD_PARTY_CHECK", enabled=False, effective_from=date(2026, 10, 1),
             effective_to=date(2026, 10, 8))
    set_rule(actor=admin_user, rule_code="QTY_DAYS_SUPPLY", enabled=True, effective_from=date(2026, 10, 9),
             params={"specified": 30, "chronic": 15, "acute": 9, "special_min": 15, "inpatient_discharge": 15})
    item("DRG", category="DRUG")
    b.claim("C1", man, [{"amount": "10.00"}], diagnosis="S06.0")  # rule off on the 8th
    b.claim("C2", man, [{"item": "DRG", "amount": "10.00", "days_supply": 10}], diagnosis="S06.0",
            admission=date(2026, 10, 9))  # on again; 9 days allowed from the 9th
    assert review(b.batch) == [("THIRD_PARTY_CHECK", "C2", None, D("10.00")),
                               ("QTY_DAYS_SUPPLY", "C2", 1, D("1.00"))]
    assert AuditEntry.objects.filter(action="settlement.rule_setting.set").count() == 2


def test_only_an_administrator_switches_rules(clerk):
    from core.errors import PermissionDenied
    from settlement.services.rules import set_rule
    with pytest.raises(PermissionDenied):
        set_rule(actor=clerk, rule_code="THIRD_PARTY_CHECK", enabled=False, effective_from=date(2026, 1, 1))


def test_the_rules_run_in_one_query_each(b, man, srv, django_assert_max_num_queries):
    for n in range(30):
        b.claim(f"C{n:02d}", man, [{"amount": "1.00"}, {"item": "NOPE", "amount": "2.00"}],
                admission=date(2026, 10, 1 + n % 28))
    # One statement a rule, the batch's claims and lines gathered once (WORKING_SET), a savepoint and its
    # release: as many for 30 claims as for one.
    with django_assert_max_num_queries(len(REGISTRY) + len(WORKING_SET) + 2):
        run_rules(b.batch.id)
    assert Finding.objects.filter(rule_code="CAT_UNKNOWN_ITEM").count() == 30


def test_the_whole_claim_index_names_the_whole_claim_rules():
    from settlement.models import Finding
    from settlement.rules.catalog import WHOLE_CLAIM

    index = next(i for i in Finding._meta.indexes if i.name == "finding_whole_claim_idx")
    assert tuple(dict(index.condition.children)["rule_code__in"]) == WHOLE_CLAIM
