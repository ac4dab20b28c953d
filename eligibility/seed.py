"""Demo data for eligibility (seed_demo): a catalogue sample, registrations of each kind for demo
persons, and a login per demo provider, so that the pages and the coverage check show something
at once. Idempotent: a second run adds nothing."""

import csv
import tempfile
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from core.demo_providers import DEMO_PROVIDERS
from core.demo_users import DEMO_PASSWORD
from core.models import Provider
from core.providers import grant_provider_access
from core.roles import Role
from enrollment.models import Person

from .loading.catalogue import CATALOGUE_COLUMNS, CATALOGUE_OPTIONAL
from .models import Registration
from .services.catalogue import load_catalogue
from .services.registrations import create_registration

# item_code, name, category, class, price cap, sex, age min, age max, per day, per claim, indications
CATALOGUE = [
    ("XJ01CAA040A001010100", "阿莫西林胶囊 0.25g", "DRUG", "A", "0.45", "", "", "", "12", "", ""),
    ("XA10BAA020A001010100", "二甲双胍片 0.5g", "DRUG", "A", "0.30", "", "", "", "6", "", "E10;E11;E14"),
    ("XC09AAA030A001010100", "卡托普利片 25mg", "DRUG", "A", "0.20", "", "", "", "6", "", "I10;I11;I15"),
    ("XA10AEA010B002010100", "甘精胰岛素注射液 3ml", "DRUG", "B", "78.00", "", "", "", "2", "", "E10;E11"),
    ("XL01XEA010A001010100", "伊马替尼片 100mg", "DRUG", "B", "38.60", "", "18", "", "8", "", "C92"),
    ("XJ05AFA010A001010100", "恩替卡韦分散片 0.5mg", "DRUG", "B", "5.20", "", "", "", "1", "", "B18"),
    ("XR03AKA030A001010100", "沙美特罗替卡松粉吸入剂", "DRUG", "B", "160.00", "", "12", "", "1", "", "J44;J45"),
    ("XG03DAA020A001010100", "黄体酮注射液 20mg", "DRUG", "B", "3.50", "F", "", "", "2", "", ""),
    ("XN02BEA010A001010100", "对乙酰氨基酚片 0.5g", "DRUG", "A", "0.10", "", "", "", "8", "", ""),
    ("XB05XAA030A001010100", "氯化钠注射液 0.9% 250ml", "DRUG", "A", "2.50", "", "", "", "6", "", ""),
    ("ZZ00000000000000000001", "进口保健口服液", "DRUG", "C", "", "", "", "", "", "", ""),
    ("001101000010000", "普通门诊诊查费", "SERVICE", "A", "10.00", "", "", "", "1", "1", ""),
    ("001102000010000", "副主任医师门诊诊查费", "SERVICE", "A", "25.00", "", "", "", "1", "1", ""),
    ("002701000010000", "血常规检查", "SERVICE", "A", "20.00", "", "", "", "2", "3", ""),
    ("002703010010000", "糖化血红蛋白测定", "SERVICE", "B", "60.00", "", "", "", "1", "1", "E10;E11;E14"),
    ("002702000010000", "前列腺特异性抗原测定", "SERVICE", "B", "80.00", "M", "40", "", "1", "1", ""),
    ("002101000010000", "胸部X线摄影", "SERVICE", "A", "60.00", "", "", "", "1", "2", ""),
    ("002103000010000", "颅脑CT平扫", "SERVICE", "B", "200.00", "", "", "", "1", "1", ""),
    ("002104000010000", "磁共振成像（1.5T）", "SERVICE", "B", "600.00", "", "", "", "1", "1", ""),
    ("003110000010000", "血液透析", "SERVICE", "A", "400.00", "", "", "", "1", "", "N18"),
    ("003101000010000", "静脉输液", "SERVICE", "A", "8.00", "", "", "", "3", "", ""),
    ("003311000010000", "阑尾切除术", "SERVICE", "A", "1200.00", "", "", "", "1", "1", "K35;K36;K37"),
    ("003115000010000", "新生儿护理", "SERVICE", "A", "30.00", "", "0", "0", "1", "", ""),
    ("004101000010000", "一次性输液器", "MATERIAL", "A", "3.00", "", "", "", "4", "", ""),
    ("004201000010000", "冠状动脉药物洗脱支架", "MATERIAL", "B", "700.00", "", "", "", "", "3", "I20;I21;I25"),
    ("004301000010000", "人工髋关节假体", "MATERIAL", "B", "7000.00", "", "", "", "", "2", ""),
    ("004401000010000", "医用高分子夹板", "MATERIAL", "C", "", "", "", "", "", "", ""),
    ("001201000010000", "普通病房床位费（三人间）", "BED", "A", "40.00", "", "", "", "1", "", ""),
    ("001202000010000", "普通病房床位费（双人间）", "BED", "B", "60.00", "", "", "", "1", "", ""),
    ("001203000010000", "特需病房床位费（单人间）", "BED", "C", "", "", "", "", "1", "", ""),
]
CATALOGUE_FROM = "2024-01-01"

SPECIAL_CATEGORIES = [["E11"], ["I10", "E11"], ["N18"], ["C50"], ["J44"]]


def seed_eligibility(*, persons: int = 3000) -> str:
    items = _seed_catalogue()
    registrations = _seed_registrations()
    logins = _seed_provider_logins()
    return (f"Catalogue: {items} items. Registrations: {registrations}. "
            f"Provider logins (password {DEMO_PASSWORD}): {', '.join(logins) or '-'}.")


def _seed_catalogue() -> int:
    """The sample through load_catalogue itself (a second run changes nothing)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-catalogue.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow((*CATALOGUE_COLUMNS[:10], *CATALOGUE_OPTIONAL, *CATALOGUE_COLUMNS[10:]))
            for row in CATALOGUE:
                writer.writerow((*row, CATALOGUE_FROM, ""))
        return load_catalogue(path=path).items


def _registrations_for(people: list[Person]) -> list[dict]:
    """Each kind for a few demo persons (dates around the demo's today, 2026-11)."""
    out = []
    for i, person in enumerate(people[:5]):
        out.append({"person": person, "kind": Registration.Kind.REFERRAL, "number": f"ZW2026{i + 1:04d}",
                    "approved_on": date(2026, 9 + i % 3, 1), "provider_codes": ["H11010001"]})
        out.append({"person": person, "kind": Registration.Kind.SPECIAL_DISEASE, "number": f"MT2026{i + 1:04d}",
                    "approved_on": date(2025, 12, 20), "valid_from": date(2026, 1, 1), "valid_to": date(2027, 12, 31),
                    "diagnosis_categories": SPECIAL_CATEGORIES[i]})
    for i, person in enumerate(people[5:8]):
        out.append({"person": person, "kind": Registration.Kind.RESIDENCE_ELSEWHERE, "number": f"YD2026{i + 1:04d}",
                    "approved_on": date(2026, 3, 1), "valid_from": date(2026, 3, 1), "valid_to": None,
                    "provider_codes": ["H11010001"]})
    measures = [("SETTLEMENT_METHOD", []), ("RESTRICTED_PROVIDERS", ["H32010001", "H32010004"]), ("MONITORING", [])]
    for i, (person, (measure, codes)) in enumerate(zip(people[8:11], measures, strict=False)):
        out.append({"person": person, "kind": Registration.Kind.PENALTY, "number": f"CJ2026{i + 1:04d}",
                    "approved_on": date(2026, 6, 1), "valid_from": date(2026, 6, 1), "valid_to": date(2027, 5, 31),
                    "measure": measure, "provider_codes": codes, "decision_reference": f"示医保惩〔2026〕{i + 1}号"})
    return out


def _seed_registrations() -> int:
    people = list(Person.objects.filter(status="ACTIVE").order_by("id")[:11])
    wanted = _registrations_for(people)
    existing = set(Registration.objects.filter(number__in=[w["number"] for w in wanted])
                   .values_list("kind", "number"))
    made = 0
    with transaction.atomic():
        for values in wanted:
            if (values["kind"], values["number"]) not in existing:
                create_registration(actor=None, source=Registration.Source.DEMO, source_reference="seed_demo",
                                    **values)
                made += 1
    return Registration.objects.filter(source=Registration.Source.DEMO).count()


def _seed_provider_logins() -> list[str]:
    """A browser login per demo provider (the demo `provider` user already has the first), named as the
    demo `provider` user is: the provider's medical-insurance office (医保办), never its code."""
    User = get_user_model()
    group = Group.objects.get(name=Role.PROVIDER.value)
    names = []
    with transaction.atomic():
        for code, name, *_rest in DEMO_PROVIDERS[1:]:
            username = code.lower()
            full_name = f"{name} 医保办"
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            elif user.first_name in ("", code):  # named by its code by an earlier seed_demo
                user.first_name = full_name
                user.save(update_fields=["first_name"])
            user.groups.add(group)
            grant_provider_access(user=user, provider=Provider.objects.get(code=code), actor=None)
            names.append(username)
    return names
