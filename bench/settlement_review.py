"""Benchmark of the settlement review (issue 16, "Speed and memory"), all figures from one run.

    python bench/settlement_review.py [--persons 1000000] [--registrations 100000] [--items 50000]
                                      [--lines 100000] [--big 500000] [--sample 5000] [--explain FILE]

Uses the configured database (migrated; make bench gives it a scratch one) and fills it with
bench/eligibility.py's reference data: M persons (5% of them suspended), N registrations of the four
kinds, K catalogue items, 60 providers. Then:

1. a batch of `--lines` claim lines (10 a claim on average) for an out-of-area provider, written as a
   provider's CSV: patients from the register (some not in it, suspended, under a penalty, with a
   special-disease, referral or residence registration, a name written differently), catalogue items
   (some unknown, restricted to one sex or to adults, with indications, over their price cap, a daily or
   per-claim limit), inpatient stays (bed days, discharge medication, service dates outside the stay,
   readmissions) and outpatient visits (a second visit on one day, too many days' supply, injuries,
   emergencies). A child process uploads and checks it (settlement.services.upload_batch, check_batch)
   and then reviews it (settlement.services.review_batch: every rule, then every claim's money): the
   review's seconds, each rule's, the money's, and the process's peak RSS during the review alone
   (VmHWM reset before it) and in all;
2. the floor, on the same data: COPY of the same file into a table of text columns and one join of its
   lines with the catalogue (the entry in force on the service date) and the register;
3. the same rules row by row over the ORM (OrmReview below, a plain per-row implementation that lives in
   the bench, not in the app) on a sample of the batch's claims (about `--sample` lines), in a
   transaction rolled back afterwards, its findings compared with the review's;
4. `--big` lines twice, as two files (July and August) of another provider, each uploaded, checked and
   reviewed in turn (the second reads the first as an earlier accepted batch).

`--explain FILE` writes EXPLAIN (ANALYZE, BUFFERS) of every rule's statement on the first batch (run in
order in a transaction that is rolled back) to FILE.
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADER = ["claim_no", "visit_type", "patient_id_number", "patient_name", "admission_date", "discharge_date",
          "diagnosis_code", "referral_no", "emergency", "transfer_from", "line_no", "service_date", "item_code",
          "item_name", "quantity", "unit_price", "amount", "days_supply", "physician_code", "department"]
PROVIDER = "B00000000"  # out of area (bench/eligibility.py: every fourth provider), level 1
BIG_PROVIDER = "B00000004"
ACUTE, SPECIFIED, CHRONIC = ("J06.9", "K29.7", "A09.9"), ("E11.9", "C34.9", "I25.1"), ("I10.X", "J44.9", "N18.9")
INJURY = ("S72.0", "T14.1", "W19.X")
DEPARTMENTS = ("内科", "外科", "儿科", "妇产科", "急诊科", "中医科")


# -- reference data -------------------------------------------------------------------------------------

def prepare(persons: int, registrations: int, items: int) -> dict:
    """The register, providers, catalogue and registrations (bench/eligibility.py), unless already there."""
    from django.db import connection

    from bench import eligibility
    from eligibility.models import CatalogueItem, Registration
    from eligibility.services.catalogue import load_catalogue
    from eligibility.services.registrations import load_registrations

    out = {}
    started = time.perf_counter()
    eligibility.ensure_persons(persons)
    eligibility.ensure_providers()
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        if not CatalogueItem.objects.exists():
            load_catalogue(path=eligibility.write_catalogue(Path(tmp) / "catalogue.csv", items))
        if not Registration.objects.exists():
            load_registrations(path=eligibility.write_registrations(Path(tmp) / "registrations.csv", registrations,
                                                                    persons, [f"B{i:08d}" for i in range(60)]))
    with connection.cursor() as cur:
        for table in ("enrollment_person", "enrollment_statuschange", "eligibility_catalogueitem",
                      "eligibility_registration"):
            cur.execute(f"ANALYZE {table}")
        cur.execute("SELECT (SELECT count(*) FROM enrollment_person), (SELECT count(*) FROM eligibility_registration), "
                    "(SELECT count(*) FROM eligibility_catalogueitem)")
        out["persons"], out["registrations"], out["items"] = cur.fetchone()
    out["prepare_s"] = time.perf_counter() - started
    return out


def reference(persons: int) -> dict:
    """What the claim generator needs: the catalogue by category, registered persons by kind."""
    from django.db import connection

    from bench.eligibility import _id_number

    with connection.cursor() as cur:
        cur.execute("SELECT item_code, name, category, price_cap, sex_limit, age_min, max_per_day, max_per_claim, "
                    "indications FROM eligibility_catalogueitem ORDER BY item_code")
        catalogue = cur.fetchall()
        cur.execute("SELECT r.kind, r.number, p.id_number, p.name, r.provider_codes, r.measure "
                    "FROM eligibility_registration r JOIN enrollment_person p ON p.id = r.person_id ORDER BY r.id")
        regs = cur.fetchall()
    plain, anything = defaultdict(list), defaultdict(list)
    for code, name, category, cap, sex_limit, age_min, per_day, per_claim, indications in catalogue:
        item = (code, name, cap, per_day, per_claim)
        anything[category].append(item)
        if not sex_limit and age_min is None and not indications:
            plain[category].append(item)
    kinds = defaultdict(list)
    for kind, number, id_number, name, codes, measure in regs:
        key = kind if kind != "PENALTY" else f"PENALTY_{measure}"
        kinds[key].append((number, id_number, name, codes))
    return {"plain": plain, "any": anything, "regs": kinds, "persons": persons, "id_number": _id_number,
            "referrals_here": {p: [r for r in kinds["REFERRAL"] if p in r[3]] for p in (PROVIDER, BIG_PROVIDER)},
            "residence_here": {p: [r for r in kinds["RESIDENCE_ELSEWHERE"] if p in r[3]]
                               for p in (PROVIDER, BIG_PROVIDER)}}


# -- the claims file ------------------------------------------------------------------------------------

class ClaimWriter:
    """Writes claims of a realistic mix, about 10 lines a claim, until exactly `lines` lines."""

    def __init__(self, ref: dict, *, provider: str, prefix: str, month: date, seed: int):
        self.ref, self.provider, self.prefix, self.month = ref, provider, prefix, month
        self.rng = random.Random(seed)
        self.stays = []  # (patient, name, diagnosis, discharge) of inpatient claims written
        self.visits = []  # the last outpatient visits written: (patient, name, diagnosis, day, items)
        self.count = 0

    def patient(self) -> tuple[str, str, str]:
        """(identity number, name as the provider writes it, what kind of patient)."""
        rng, ref = self.rng, self.ref
        roll = rng.random()
        if roll < 0.02:
            k = rng.randrange(1_000_000)
            return ref["id_number"](ref["persons"] + k), f"外地{k}", "unregistered"
        if roll < 0.17:
            kind = rng.choice(("PENALTY_SETTLEMENT_METHOD", "PENALTY_RESTRICTED_PROVIDERS", "PENALTY_MONITORING",
                               "SPECIAL_DISEASE", "SPECIAL_DISEASE", "REFERRAL", "RESIDENCE_ELSEWHERE"))
            if kind == "REFERRAL" and ref["referrals_here"][self.provider] and rng.random() < 0.8:
                number, idn, name, _codes = rng.choice(ref["referrals_here"][self.provider])
            elif kind == "RESIDENCE_ELSEWHERE" and ref["residence_here"][self.provider]:
                number, idn, name, _codes = rng.choice(ref["residence_here"][self.provider])
            else:
                number, idn, name, _codes = rng.choice(ref["regs"][kind])
            return idn, name, f"{kind}:{number}"
        i = rng.randrange(ref["persons"])
        name = f"测试{i}"
        if roll < 0.18:
            name = "张冒名"  # not the register's name
        elif roll < 0.19:
            name = f"测试\u3000{i}"  # the same name with an ideographic space
        return ref["id_number"](i), name, "person"

    def item(self, category: str, diagnosis: str) -> tuple:
        rng = self.rng
        if rng.random() < 0.01:
            return (f"Y{rng.randrange(10**9):010d}", "目录外项目", None, None, None)
        pool = self.ref["any" if rng.random() < 0.04 else "plain"][category]
        return rng.choice(pool)

    def price(self, cap) -> Decimal:
        rng = self.rng
        if cap is None:
            return Decimal(rng.randint(100, 20000)) / 100
        if rng.random() < 0.02:  # above the price cap
            return (cap * Decimal("1.2") + Decimal("0.01")).quantize(Decimal("0.01"))
        return max(Decimal("0.01"), (cap * Decimal(rng.randint(50, 100)) / 100).quantize(Decimal("0.01"),
                                                                                          ROUND_HALF_UP))

    def claims(self, lines: int):
        """Yield rows (lists in HEADER's order) until exactly `lines` lines."""
        written = 0
        while written < lines:
            for row in self.claim(lines - written):
                written += 1
                yield row

    def claim(self, room: int) -> list[list]:
        rng = self.rng
        self.count += 1
        claim_no = f"{self.prefix}{self.count:07d}"
        idn, name, kind = self.patient()
        first = self.month
        days_in_month = 28
        emergency = "1" if rng.random() < 0.05 else "0"
        referral = ""
        if kind.startswith("REFERRAL:"):
            referral = kind.split(":", 1)[1] if rng.random() < 0.9 else f"Z{rng.randrange(10**8):08d}"
        visit = rng.choices(("OUTPATIENT", "OUTPATIENT_SPECIAL", "INPATIENT"), (70, 10, 20))[0]
        if kind.startswith("SPECIAL_DISEASE"):
            visit = "OUTPATIENT_SPECIAL"
        diagnosis = rng.choice(rng.choices((ACUTE, SPECIFIED, CHRONIC, INJURY), (60, 20, 18, 2))[0])
        if visit == "OUTPATIENT_SPECIAL":
            diagnosis = rng.choice(("E11.9", "E11.9", "I10.X", "C34.9"))
        # A readmission within ten days, a second outpatient visit on one day.
        if visit == "INPATIENT" and self.stays and rng.random() < 0.03:
            idn, name, diagnosis, before = rng.choice(self.stays[-200:])
            admission = before + timedelta(days=rng.randint(1, 12))
        elif visit == "OUTPATIENT" and self.visits and rng.random() < 0.03:
            idn, name, diagnosis, admission, items = rng.choice(self.visits[-50:])
            return self._outpatient(claim_no, idn, name, admission, diagnosis, referral, emergency, visit, room,
                                    items=items)
        else:
            admission = first + timedelta(days=rng.randrange(days_in_month))
        if visit == "INPATIENT":
            return self._inpatient(claim_no, idn, name, admission, diagnosis, referral, emergency, room)
        return self._outpatient(claim_no, idn, name, admission, diagnosis, referral, emergency, visit, room)

    def _row(self, head: list, n: int, day: date, item: tuple, qty: int, days_supply) -> list:
        code, item_name, cap, _per_day, _per_claim = item
        price = self.price(cap)
        return [*head, str(n), day.isoformat(), code, item_name, str(qty), f"{price:.2f}", f"{price * qty:.2f}",
                "" if days_supply is None else str(days_supply), f"D{self.rng.randrange(400):04d}",
                self.rng.choice(DEPARTMENTS)]

    def _outpatient(self, claim_no, idn, name, day, diagnosis, referral, emergency, visit, room, items=None):
        rng = self.rng
        head = [claim_no, visit, idn, name, day.isoformat(), "", diagnosis, referral, emergency, ""]
        if items is None:
            items = [(rng.choices(("DRUG", "SERVICE", "MATERIAL"), (55, 35, 10))[0]) for _ in range(6)]
            items = [(category, self.item(category, diagnosis)) for category in items]
            self.visits.append((idn, name, diagnosis, day, items))
        rows = []
        for n, (category, item) in enumerate(items[:room], start=1):
            service = day if rng.random() > 0.01 else day + timedelta(days=1)
            days_supply = None
            if category == "DRUG":
                days_supply = rng.randint(3, 7) if rng.random() > 0.06 else rng.randint(10, 30)
            rows.append(self._row(head, n, service, item, rng.randint(1, 3), days_supply))
        return rows

    def _inpatient(self, claim_no, idn, name, admission, diagnosis, referral, emergency, room):
        rng = self.rng
        stay = rng.randint(2, 12)
        discharge = admission + timedelta(days=stay)
        self.stays.append((idn, name, diagnosis, discharge))
        head = [claim_no, "INPATIENT", idn, name, admission.isoformat(), discharge.isoformat(), diagnosis, referral,
                emergency, ""]
        bed = self.item("BED", diagnosis)
        bed_days = stay + (rng.randint(1, 3) if rng.random() < 0.05 else 0)
        rows, n = [], 0
        for d in range(min(bed_days, stay + 3)):
            n += 1
            rows.append(self._row(head, n, admission + timedelta(days=min(d, stay)), bed, 1, None))
        # Items given again and again in the stay; on a few stays many units of them (a limit per claim).
        regular = [self.item(c, diagnosis) for c in ("DRUG", "DRUG", "SERVICE")]
        units = (8, 12) if rng.random() < 0.05 else (1, 4)
        while n < 26:
            n += 1
            day = admission + timedelta(days=rng.randint(0, stay))
            if rng.random() < 0.01:
                day = discharge + timedelta(days=2)  # outside the stay
            category = rng.choices(("DRUG", "SERVICE", "MATERIAL"), (55, 35, 10))[0]
            item = rng.choice(regular) if rng.random() < 0.5 else self.item(category, diagnosis)
            category = "DRUG" if item in regular[:2] else category
            days_supply = None
            if category == "DRUG" and day == discharge:
                days_supply = rng.randint(7, 15) if rng.random() > 0.1 else rng.randint(20, 30)
            elif category == "DRUG" and rng.random() < 0.3:
                days_supply = rng.randint(1, 3)
            rows.append(self._row(head, n, day, item, rng.randint(*units) if item in regular else rng.randint(1, 4),
                                  days_supply))
        return rows[:room]


def write_claims(path: Path, ref: dict, lines: int, *, provider: str, prefix: str, month: date, seed: int) -> Path:
    writer = ClaimWriter(ref, provider=provider, prefix=prefix, month=month, seed=seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for row in writer.claims(lines):
            w.writerow(row)
    return path


# -- the child: upload, check and review one file -------------------------------------------------------

CHILD = """
import json, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files import File
from core.models import Provider
from core.providers import grant_provider_access
from core.roles import Role, sync_roles
from settlement import tasks
from settlement.services import check_batch, review as review_module, upload_batch

def hwm_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

path, code, period = sys.argv[1], sys.argv[2], sys.argv[3]
sync_roles()
provider = Provider.objects.get(code=code)
user, _ = get_user_model().objects.get_or_create(username=f"bench-{code}")
user.groups.add(Group.objects.get(name=Role.PROVIDER.value))
grant_provider_access(user=user, provider=provider, actor=None)
rules, phases = {}, {}
run_rules, compute = review_module.run_rules, review_module._compute

def timed_rules(batch_id):
    started = time.perf_counter()
    rules.update(run_rules(batch_id))
    phases["rules"] = time.perf_counter() - started
    return rules

def timed_compute(batch):
    started = time.perf_counter()
    try:
        return compute(batch)
    finally:
        phases["money"] = time.perf_counter() - started

review_module.run_rules, review_module._compute = timed_rules, timed_compute
tasks.check_batch_task.delay_on_commit = lambda *args: None  # check and review are timed one by one below
started = time.perf_counter()
with open(path, "rb") as f:
    batch = upload_batch(actor=user, file=File(f, name=path.rsplit("/", 1)[-1]), period=period)
upload_s = time.perf_counter() - started
started = time.perf_counter()
batch = check_batch(batch=batch)
check_s = time.perf_counter() - started
assert batch.status == "accepted", (batch.status, list(batch.errors.values_list("row", "column", "code")[:20]))
peak_before_mb = hwm_mb()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets VmHWM: the review's own peak from here
started = time.perf_counter()
batch = review_module.review_batch(batch=batch)
review_s = time.perf_counter() - started
from settlement.models import Finding
from django.db.models import Count
findings = dict(Finding.objects.filter(batch=batch).values_list("rule_code").annotate(n=Count("id")))
print(json.dumps({"batch": batch.pk, "upload_s": upload_s, "check_s": check_s, "review_s": review_s,
                  "rules": rules, "phases": phases, "status": batch.status, "lines": batch.line_count,
                  "claims": batch.claim_count, "findings": findings, "review_peak_mb": hwm_mb(),
                  "check_peak_mb": peak_before_mb, "total_claimed": str(batch.total_claimed),
                  "total_deducted": str(batch.total_deducted), "total_fund": str(batch.total_fund)}))
"""


def _child(env: dict, *args) -> dict:
    """Run the child to its end; its JSON figures."""
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"the settlement review bench child failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the floor ------------------------------------------------------------------------------------------

def floor(dsn: str, path: Path) -> dict:
    """COPY of the file into a table of text columns, then one join of its lines with the catalogue entry in
    force on the service date and the register (as the rules' data needs), counted."""
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SET jit = off")
        started = time.perf_counter()
        cur.execute("CREATE TEMP TABLE floor_claims (" + ", ".join(f"{h} text" for h in HEADER) + ")")
        with cur.copy("COPY floor_claims FROM STDIN WITH (FORMAT csv, HEADER true)") as copy, open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        copied = time.perf_counter()
        cur.execute("""
            SELECT count(*), count(p.id), count(x.id), sum(f.amount::numeric)
            FROM floor_claims f
            LEFT JOIN enrollment_person p ON p.id_number = f.patient_id_number
            LEFT JOIN eligibility_catalogueitem x ON x.item_code = f.item_code
                AND x.effective_from <= f.service_date::date
                AND (x.effective_to IS NULL OR x.effective_to >= f.service_date::date)
        """)
        lines, persons, items, _total = cur.fetchone()
        joined = time.perf_counter()
        conn.rollback()
    return {"copy_s": copied - started, "join_s": joined - copied, "floor_s": joined - started, "lines": lines,
            "lines_with_person": persons, "lines_with_item": items}


# -- the same rules row by row over the ORM -------------------------------------------------------------

CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, or that month's last day."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _category(code: str) -> str:
    return code[:3].upper()


class OrmReview:
    """The spec's rules evaluated row by row with the ORM: for each rule in the table's order, each claim
    (or line) of the sample is read and decided in Python, with ORM queries for what the row needs (the
    person, their status history and registrations, the catalogue entry, the other claims and lines that
    count). Settings and disease classes (a few dozen rows) are read once. Findings are written with
    bulk_create, one INSERT per rule. Not the app's code: a plain, honest per-row implementation of
    spec/review-rules.md to compare with."""

    WHOLE = ("ELIG_NOT_INSURED", "PENALTY_DIRECT_SETTLEMENT", "PENALTY_RESTRICTED_PROVIDER")
    ACCEPTED = ("accepted", "reviewed", "under_audit", "settled")

    def __init__(self, batch, claim_ids: list[int]):
        from eligibility.models import DiseaseClass
        from settlement.models import Claim, RuleSetting
        from settlement.rules.catalog import TABLE

        self.batch = batch
        self.claims = list(Claim.objects.filter(id__in=claim_ids).select_related("provider").order_by("id"))
        self.settings = defaultdict(list)
        for s in RuleSetting.objects.all():
            self.settings[s.rule_code].append(s)
        self.diseases = list(DiseaseClass.objects.order_by("-category_from"))
        self.severity = {r.code: r.severity for r in TABLE}
        self.position = {r.code: n for n, r in enumerate(TABLE, start=1)}
        self.taken = set()  # claims a whole-claim rule took
        self.deducted = defaultdict(Decimal)  # line id → DEDUCT findings raised on it so far
        self.referral_invalid = set()
        self.new = []

    def setting(self, code: str, day: date):
        for s in self.settings[code]:
            if s.enabled and s.effective_from <= day and (s.effective_to is None or s.effective_to >= day):
                return s
        return None

    def raise_(self, code, claim, line=None, amount=Decimal("0.00"), text="", detail=None):
        from settlement.models import Finding

        amount = _money(amount)
        if self.severity[code] == "DEDUCT" and line is not None:
            self.deducted[line.id] += amount
        self.new.append(Finding(batch=self.batch, claim=claim, line=line, rule_code=code,
                                severity=self.severity[code], position=self.position[code], amount_at_issue=amount,
                                explanation=text, detail=detail))

    def flush(self):
        from settlement.models import Finding

        Finding.objects.bulk_create(self.new)
        self.new = []

    # per-row reads
    def person(self, claim):
        from enrollment.models import Person

        return Person.objects.filter(id_number=claim.patient_id_number).first()

    def registrations(self, claim, kind, day, **filters):
        from django.db.models import Q

        from eligibility.models import Registration

        return list(Registration.objects.filter(person__id_number=claim.patient_id_number, kind=kind,
                                                status="ACTIVE", valid_from__lte=day, **filters)
                    .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day)).order_by("valid_from", "id"))

    def entry(self, code: str, day: date):
        from django.db.models import Q

        from eligibility.models import CatalogueItem

        return (CatalogueItem.objects.filter(item_code=code, effective_from__lte=day)
                .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day)).order_by("-effective_from").first())

    def others(self, claim):
        """Claims of this batch or of an earlier accepted batch."""
        from django.db.models import Q

        from settlement.models import Claim

        return Claim.objects.filter(Q(batch_id=self.batch.pk) | Q(batch_id__lt=self.batch.pk,
                                                                  batch__status__in=self.ACCEPTED))

    def left(self, line) -> Decimal:
        return line.amount - self.deducted[line.id]

    def run(self) -> int:
        from settlement.models import ClaimLine, Finding

        self.lines = defaultdict(list)
        for line in ClaimLine.objects.filter(claim__in=self.claims).order_by("claim_id", "position", "id"):
            self.lines[line.claim_id].append(line)
        self.entries = {}
        for step in (self.whole_claim, self.name_and_injury, self.line_rules, self.claim_rules):
            step()
        return Finding.objects.filter(claim__in=self.claims).count()

    def whole_claim(self):
        for claim in self.claims:
            claim.person = self.person(claim)
        for claim in self.claims:  # ELIG_NOT_INSURED
            if not self.setting("ELIG_NOT_INSURED", claim.admission_date):
                continue
            p = claim.person
            status = None
            if p is not None:
                status = p.status_changes.filter(status_date__lte=claim.admission_date).order_by(
                    "-status_date", "-id").first()
            if status is None or status.status != "ACTIVE":
                self.taken.add(claim.id)
                self.raise_("ELIG_NOT_INSURED", claim, amount=claim.total, text=f"not insured on {claim.admission_date}")
        self.flush()
        for claim in self.claims:  # PENALTY_DIRECT_SETTLEMENT
            day = claim.admission_date
            if claim.id in self.taken or not self.setting("PENALTY_DIRECT_SETTLEMENT", day):
                continue
            pen = self.registrations(claim, "PENALTY", day, measure="SETTLEMENT_METHOD")
            if pen:
                self.taken.add(claim.id)
                self.raise_("PENALTY_DIRECT_SETTLEMENT", claim, amount=claim.total, text=f"penalty {pen[0].number}")
        self.flush()
        for claim in self.claims:  # PENALTY_RESTRICTED_PROVIDER
            day = claim.admission_date
            if claim.id in self.taken or not self.setting("PENALTY_RESTRICTED_PROVIDER", day):
                continue
            pen = [r for r in self.registrations(claim, "PENALTY", day, measure="RESTRICTED_PROVIDERS")
                   if claim.provider.code not in r.provider_codes]
            if pen:
                self.taken.add(claim.id)
                self.raise_("PENALTY_RESTRICTED_PROVIDER", claim, amount=claim.total, text=f"penalty {pen[0].number}")
        self.flush()

    def name_and_injury(self):
        import re

        ws = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
        for claim in self.claims:
            s = self.setting("ELIG_NAME_MISMATCH", claim.admission_date)
            if s and claim.id not in self.taken and claim.person is not None \
                    and ws.sub("", claim.patient_name) != ws.sub("", claim.person.name):
                self.raise_("ELIG_NAME_MISMATCH", claim, amount=claim.total, text=f"name {claim.patient_name}")
        self.flush()
        for claim in self.claims:
            s = self.setting("THIRD_PARTY_CHECK", claim.admission_date)
            if s and claim.id not in self.taken and claim.diagnosis_code[:1].upper() in s.params["prefixes"]:
                self.raise_("THIRD_PARTY_CHECK", claim, amount=claim.total, text=f"diagnosis {claim.diagnosis_code}")
        self.flush()

    def each_line(self, code):
        """(claim, line, setting) of every line of a claim not taken whole, where the rule is on."""
        for claim in self.claims:
            s = self.setting(code, claim.admission_date)
            if s is None or claim.id in self.taken:
                continue
            for line in self.lines[claim.id]:
                yield claim, line, s

    def line_entry(self, line):
        if line.id not in self.entries:
            self.entries[line.id] = self.entry(line.item_code, line.service_date)
        return self.entries[line.id]

    def line_rule(self, code, amount_of):
        for claim, line, s in self.each_line(code):
            amount = amount_of(claim, line, s)
            if amount is not None:
                amount = min(self.left(line), _money(amount))
                if amount > 0:
                    self.raise_(code, claim, line, amount, text=f"{code} {line.line_no}")
        self.flush()

    def line_rules(self):
        def outside(claim, line, s):
            if claim.visit_type == "INPATIENT":
                bad = line.service_date < claim.admission_date or (
                    claim.discharge_date is not None and line.service_date > claim.discharge_date)
            else:
                bad = line.service_date != claim.admission_date
            return self.left(line) if bad else None

        def sex(claim, line, s):
            ci = self.line_entry(line)
            patient = "M" if int(claim.patient_id_number[16]) % 2 == 1 else "F"
            return self.left(line) if ci and ci.sex_limit and ci.sex_limit != patient else None

        def age(claim, line, s):
            ci = self.line_entry(line)
            if ci is None or (ci.age_min is None and ci.age_max is None):
                return None
            born = date(int(claim.patient_id_number[6:10]), int(claim.patient_id_number[10:12]),
                        int(claim.patient_id_number[12:14]))
            on = line.service_date
            years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
            if (ci.age_min is not None and years < ci.age_min) or (ci.age_max is not None and years > ci.age_max):
                return self.left(line)
            return None

        def price(claim, line, s):
            ci = self.line_entry(line)
            if ci and ci.price_cap is not None and line.unit_price > ci.price_cap:
                return (line.unit_price - ci.price_cap) * line.quantity
            return None

        def dup(claim, line, s):
            from settlement.models import ClaimLine

            ci = self.line_entry(line)
            if ci is None or ci.max_per_day is None:
                return None
            same = (ClaimLine.objects.filter(claim__in=self.others(claim), claim__patient_id_number=claim.patient_id_number,
                                             claim__provider_id=claim.provider_id, item_code=line.item_code,
                                             service_date=line.service_date)
                    .exclude(claim__findings__rule_code__in=self.WHOLE)
                    .values_list("id", "quantity", "position", "claim__batch_id", "claim__admission_date",
                                 "claim__claim_no"))
            same = sorted(same, key=lambda r: (r[3] == self.batch.pk, r[4], r[5], r[2], r[0]))
            cum = Decimal(0)
            for line_id, quantity, *_rest in same:
                cum += quantity
                if line_id == line.id:
                    break
            if cum <= ci.max_per_day:
                return None
            return min(line.quantity, cum - ci.max_per_day) * line.unit_price

        self.line_rule("SERVICE_DATE_OUTSIDE_STAY", outside)
        self.line_rule("SEX_RESTRICTED", sex)
        self.line_rule("AGE_RESTRICTED", age)
        self.line_rule("PRICE_OVER_CAP", price)
        self.line_rule("DUP_SAME_DAY", dup)
        self.bed_days()
        self.line_rule("QTY_DAYS_SUPPLY", self.days_supply)
        self.line_rule("INDICATION_MISMATCH", self.indication)
        self.freq()

    def bed_days(self):
        for claim in self.claims:
            day = claim.admission_date
            if (claim.id in self.taken or not self.setting("BED_DAYS_OVER_STAY", day)
                    or claim.visit_type != "INPATIENT" or claim.discharge_date is None):
                continue
            beds = [line for line in self.lines[claim.id]
                    if (ci := self.line_entry(line)) is not None and ci.category == "BED"]
            units = sum((line.quantity for line in beds), Decimal(0))
            stay = max((claim.discharge_date - claim.admission_date).days, 1)
            if units <= stay:
                continue
            shares, from_end = {}, Decimal(0)
            for line in sorted(beds, key=lambda x: (x.position, x.id), reverse=True):
                from_end += line.quantity
                units_taken = max(Decimal(0), min(line.quantity, (units - stay) - (from_end - line.quantity)))
                amount = min(self.left(line), _money(units_taken * line.unit_price))
                shares[line] = amount
            total = sum(shares.values(), Decimal(0))
            if total > 0:
                for line, amount in shares.items():
                    self.deducted[line.id] += amount
                self.raise_("BED_DAYS_OVER_STAY", claim, amount=total, text=f"bed days {units} > {stay}",
                            detail={"shares": {str(line.id): str(a) for line, a in shares.items() if a > 0}})
        self.flush()

    def disease_class(self, diagnosis: str):
        cat = _category(diagnosis)
        for d in self.diseases:
            if d.category_from <= cat <= d.category_to:
                return d.disease_class
        return None

    def days_supply(self, claim, line, s):
        ci = self.line_entry(line)
        if ci is None or ci.category != "DRUG" or line.days_supply is None:
            return None
        p = s.params
        by_class = {"SPECIFIED": p["specified"], "CHRONIC": p["chronic"]}.get(self.disease_class(claim.diagnosis_code),
                                                                              p["acute"])
        if claim.visit_type == "INPATIENT":
            limit = p["inpatient_discharge"] if line.service_date == claim.discharge_date else None
        elif claim.visit_type == "OUTPATIENT_SPECIAL":
            limit = max(by_class, p["special_min"])
        else:
            limit = by_class
        if limit is None or line.days_supply <= limit:
            return None
        return self.left(line) * (line.days_supply - limit) / line.days_supply

    def indication(self, claim, line, s):
        ci = self.line_entry(line)
        if ci and ci.indications and not any(claim.diagnosis_code.upper().startswith(i) for i in ci.indications):
            return self.left(line)
        return None

    def freq(self):
        for claim in self.claims:
            s = self.setting("FREQ_OVER_LIMIT", claim.admission_date)
            if s is None or claim.id in self.taken:
                continue
            cum = defaultdict(Decimal)
            for line in self.lines[claim.id]:
                cum[line.item_code] += line.quantity
                ci = self.entry(line.item_code, claim.admission_date)  # the entry in force on the admission date
                if ci is None or ci.max_per_claim is None or cum[line.item_code] <= ci.max_per_claim:
                    continue
                amount = min(self.left(line), _money(min(line.quantity, cum[line.item_code] - ci.max_per_claim)
                                                     * line.unit_price))
                if amount > 0:
                    self.raise_("FREQ_OVER_LIMIT", claim, line, amount, text=f"units over {ci.max_per_claim}")
        self.flush()

    def claim_rules(self):
        for claim in self.claims:  # SPLIT_ADMISSION
            s = self.setting("SPLIT_ADMISSION", claim.admission_date)
            if s is None or claim.visit_type != "INPATIENT":
                continue
            prev = [o for o in self.others(claim).filter(
                patient_id_number=claim.patient_id_number, provider_id=claim.provider_id, visit_type="INPATIENT",
                discharge_date__lte=claim.admission_date).exclude(id=claim.id)
                if _category(o.diagnosis_code) == _category(claim.diagnosis_code)]
            if prev:
                last = max(prev, key=lambda o: (o.discharge_date, o.id))
                if (claim.admission_date - last.discharge_date).days <= s.params["window_days"]:
                    self.raise_("SPLIT_ADMISSION", claim, text=f"after {last.claim_no}")
        self.flush()
        for claim in self.claims:  # OUTPATIENT_SAME_DAY
            s = self.setting("OUTPATIENT_SAME_DAY", claim.admission_date)
            if s is None or claim.visit_type != "OUTPATIENT":
                continue
            same = self.others(claim).filter(patient_id_number=claim.patient_id_number, provider_id=claim.provider_id,
                                             visit_type="OUTPATIENT", admission_date=claim.admission_date
                                             ).exclude(id=claim.id)
            if any(o.batch_id != self.batch.pk or o.claim_no < claim.claim_no for o in same):
                self.raise_("OUTPATIENT_SAME_DAY", claim, text="second visit")
        self.flush()
        for claim, line, _s in self.each_line("CAT_UNKNOWN_ITEM"):
            if self.line_entry(line) is None:
                self.raise_("CAT_UNKNOWN_ITEM", claim, line, text=f"unknown {line.item_code}")
        self.flush()
        for claim in self.claims:  # SPECIAL_NOT_REGISTERED
            day = claim.admission_date
            if claim.visit_type != "OUTPATIENT_SPECIAL" or not self.setting("SPECIAL_NOT_REGISTERED", day):
                continue
            regs = self.registrations(claim, "SPECIAL_DISEASE", day)
            if not any(_category(claim.diagnosis_code) in r.diagnosis_categories for r in regs):
                self.raise_("SPECIAL_NOT_REGISTERED", claim, text="not registered")
        self.flush()
        for claim in self.claims:  # REFERRAL_NOT_VALID
            s = self.setting("REFERRAL_NOT_VALID", claim.admission_date)
            if s is None or not claim.referral_no:
                continue
            reason = self.referral_reason(claim, s.params)
            if reason:
                self.referral_invalid.add(claim.id)
                self.raise_("REFERRAL_NOT_VALID", claim, text=reason, detail={"reason": reason})
        self.flush()
        for claim in self.claims:  # OUT_OF_AREA_NO_REFERRAL
            day = claim.admission_date
            if (not self.setting("OUT_OF_AREA_NO_REFERRAL", day) or claim.provider.area != "OUT" or claim.emergency
                    or (claim.referral_no and claim.id not in self.referral_invalid)):
                continue
            residence = [r for r in self.registrations(claim, "RESIDENCE_ELSEWHERE", day)
                         if claim.provider.code in r.provider_codes]
            if not residence:
                self.raise_("OUT_OF_AREA_NO_REFERRAL", claim, text="out of area")
        self.flush()
        for claim in self.claims:  # PENALTY_MONITORING
            day = claim.admission_date
            if self.setting("PENALTY_MONITORING", day) and self.registrations(claim, "PENALTY", day,
                                                                              measure="MONITORING"):
                self.raise_("PENALTY_MONITORING", claim, text="monitoring")
        self.flush()

    def referral_reason(self, claim, params) -> str | None:
        from eligibility.models import Registration

        r = Registration.objects.filter(kind="REFERRAL", number=claim.referral_no, status="ACTIVE").select_related(
            "person").first()
        if r is None:
            return "unknown"
        if r.person.id_number != claim.patient_id_number:
            return "person"
        if claim.provider.code not in r.provider_codes:
            return "destination"

        def in_time(day):
            return r.approved_on <= day <= _add_months(r.approved_on, params["months"])

        if in_time(claim.admission_date):
            return None
        if r.approved_on <= claim.admission_date <= _add_months(r.approved_on, params["follow_up_months"]):
            for o in self.others(claim).filter(patient_id_number=claim.patient_id_number,
                                               referral_no=claim.referral_no).exclude(id=claim.id).select_related(
                    "provider"):
                earlier = o.batch_id != self.batch.pk or (o.admission_date, o.claim_no) < (claim.admission_date,
                                                                                           claim.claim_no)
                if earlier and o.provider.code in r.provider_codes and in_time(o.admission_date):
                    return None
        return "time"


def orm_comparison(batch_id: int, sample_lines: int) -> dict:
    """OrmReview on the first claims of the batch (by id) up to `sample_lines` lines, in a transaction rolled
    back: seconds, lines, and its findings against the review's on the same claims."""
    from django.db import connection, transaction

    from settlement.models import ClaimBatch, Finding

    batch = ClaimBatch.objects.get(pk=batch_id)
    with connection.cursor() as cur:
        cur.execute("SELECT c.id, c.line_count FROM settlement_claim c WHERE c.batch_id = %s ORDER BY c.id", [batch_id])
        ids, lines = [], 0
        for claim_id, count in cur.fetchall():
            if lines >= sample_lines:
                break
            ids.append(claim_id)
            lines += count

    def key(f):
        return (f.claim_id, f.line_id, f.rule_code, f.amount_at_issue)

    ours = {key(f) for f in Finding.objects.filter(claim_id__in=ids)}
    with transaction.atomic():
        Finding.objects.filter(claim_id__in=ids).delete()
        started = time.perf_counter()
        count = OrmReview(batch, ids).run()
        seconds = time.perf_counter() - started
        theirs = {key(f) for f in Finding.objects.filter(claim_id__in=ids)}
        transaction.set_rollback(True)
    return {"claims": len(ids), "lines": lines, "orm_s": seconds, "findings": count, "same": len(ours & theirs),
            "only_review": sorted(map(str, ours - theirs))[:20], "only_orm": sorted(map(str, theirs - ours))[:20],
            "review_findings": len(ours)}


# -- EXPLAIN ANALYZE of every rule ----------------------------------------------------------------------

def explain(batch_id: int, path: Path) -> None:
    """Every rule's statement on the batch under EXPLAIN (ANALYZE, BUFFERS), in the spec's order (each one
    executes, so the next sees its findings), in a transaction rolled back."""
    from django.db import connection, transaction

    from settlement.models import Finding
    from settlement.rules import REGISTRY
    from settlement.rules.sql import WORKING_SET

    with transaction.atomic(), connection.cursor() as cur, open(path, "w") as out:
        Finding.objects.filter(batch_id=batch_id).delete()
        for statement in WORKING_SET:
            started = time.perf_counter()
            cur.execute(("EXPLAIN (ANALYZE, BUFFERS) " if statement.startswith("CREATE TEMP") else "") + statement,
                        {"batch": batch_id})
            plan = "\n".join(row[0] for row in cur.fetchall()) if statement.startswith("CREATE TEMP") else ""
            out.write(f"=== {statement[:40]} ({time.perf_counter() - started:.3f} s)\n{plan}\n\n")
        for rule in REGISTRY:
            started = time.perf_counter()
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + rule.statement, rule.params(batch_id))
            plan = "\n".join(row[0] for row in cur.fetchall())
            out.write(f"=== {rule.code} ({time.perf_counter() - started:.3f} s)\n{plan}\n\n")
        transaction.set_rollback(True)


# -- the whole bench ------------------------------------------------------------------------------------

def run(env: dict, dsn: str, workdir: Path, *, persons: int, registrations: int, items: int, lines: int, big: int,
        sample: int, explain_to: Path | None = None) -> dict:
    out = {"reference": prepare(persons, registrations, items)}
    ref = reference(persons)
    child_env = {**env, "LOG_LEVEL": "WARNING"}
    child_env.pop("REDIS_URL", None)  # the task runs in-process; the bench calls the services itself

    path = write_claims(workdir / "claims.csv", ref, lines, provider=PROVIDER, prefix="R", month=date(2026, 7, 1),
                        seed=lines)
    out["batch"] = {"mb": path.stat().st_size / 2**20, "load": os.getloadavg(),
                    **_child(child_env, str(path), PROVIDER, "2026-07")}
    out["floor"] = {"load": os.getloadavg(), **floor(dsn, path)}
    out["orm"] = {"load": os.getloadavg(), **orm_comparison(out["batch"]["batch"], sample)}
    if explain_to is not None:
        explain(out["batch"]["batch"], explain_to)

    out["big"] = []
    if big:
        for n, month in enumerate((date(2026, 7, 1), date(2026, 8, 1)), start=1):
            path = write_claims(workdir / f"big-{n}.csv", ref, big, provider=BIG_PROVIDER, prefix=f"G{n}-",
                                month=month, seed=big + n)
            size = path.stat().st_size
            big_env = {**child_env, "UPLOAD_MAX_BYTES": str(max(50 * 2**20, size + 1))}
            out["big"].append({"mb": size / 2**20, "load": os.getloadavg(),
                               **_child(big_env, str(path), BIG_PROVIDER, f"{month:%Y-%m}")})
            path.unlink()
    return out


def _load(figures: dict) -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in figures["load"])


def print_figures(f: dict) -> None:
    r, b, fl, orm = f["reference"], f["batch"], f["floor"], f["orm"]
    print(f"Settlement review (issue 16) against {r['persons']:,} persons, {r['registrations']:,} registrations and "
          f"{r['items']:,} catalogue items:")
    print(f"  batch of {b['lines']:,} lines ({b['claims']:,} claims, {b['mb']:.1f} MB CSV), "
          f"{sum(b['findings'].values()):,} findings ({_load(b)} at the start)")
    print(f"  review (accepted → reviewed, every rule and every claim's money, one transaction): "
          f"{b['review_s']:.2f} s (target < 5 s): rules {b['phases']['rules']:.2f} s, money "
          f"{b['phases']['money']:.2f} s; peak RSS during the review {b['review_peak_mb']:.0f} MB (target < 300 MB)")
    print(f"  before it: upload request {b['upload_s']:.2f} s, check {b['check_s']:.2f} s (peak "
          f"{b['check_peak_mb']:.0f} MB); upload to reviewed in all {b['upload_s'] + b['check_s'] + b['review_s']:.2f} s")
    print(f"  totals: claimed {b['total_claimed']}, deducted {b['total_deducted']}, basic fund {b['total_fund']}")
    print("  seconds per rule (findings):")
    for code, seconds in b["rules"].items():
        print(f"    {code:<28} {seconds:7.3f}  ({b['findings'].get(code, 0):,})")
    print(f"  floor: COPY of the file {fl['copy_s']:.2f} s + one join with catalogue and register {fl['join_s']:.2f} s "
          f"= {fl['floor_s']:.2f} s ({fl['lines_with_person']:,} lines with a person, {fl['lines_with_item']:,} with "
          f"an item; {_load(fl)}); review / floor = {b['review_s'] / fl['floor_s']:.1f}× (target ≤ 5×); check and "
          f"review / floor = {(b['check_s'] + b['review_s']) / fl['floor_s']:.1f}×")
    ours_per_line = b["phases"]["rules"] / b["lines"]
    orm_per_line = orm["orm_s"] / orm["lines"]
    whole_per_line = b["review_s"] / b["lines"]
    print(f"  the same rules row by row over the ORM, {orm['lines']:,} lines ({orm['claims']:,} claims): "
          f"{orm['orm_s']:.2f} s, {orm_per_line * 1e3:.2f} ms a line; the review's rules "
          f"{ours_per_line * 1e6:.1f} µs a line: {orm_per_line / ours_per_line:.0f}× (target ≥ 100×; {_load(orm)}); "
          f"the whole review (rules and money) {whole_per_line * 1e6:.1f} µs a line: "
          f"{orm_per_line / whole_per_line:.0f}×")
    agree = "identical" if not orm["only_review"] and not orm["only_orm"] else "DIFFERENT"
    print(f"    findings on the sample: {orm['review_findings']:,} by the review, {orm['findings']:,} by the ORM, "
          f"{orm['same']:,} the same (claim, line, rule, amount): {agree}")
    for label, keys in (("only the review", orm["only_review"]), ("only the ORM", orm["only_orm"])):
        for k in keys:
            print(f"      {label}: {k}")
    if f["big"]:
        total = sum(x["upload_s"] + x["check_s"] + x["review_s"] for x in f["big"])
        reviews = sum(x["review_s"] for x in f["big"])
        print(f"  {sum(x['lines'] for x in f['big']):,} lines as {len(f['big'])} files: in all {total:.1f} s "
              f"(target < 50 s), of which the reviews {reviews:.1f} s:")
        for n, x in enumerate(f["big"], start=1):
            print(f"    file {n}: {x['lines']:,} lines ({x['claims']:,} claims, {x['mb']:.0f} MB), upload "
                  f"{x['upload_s']:.2f} s, check {x['check_s']:.2f} s, review {x['review_s']:.2f} s (rules "
                  f"{x['phases']['rules']:.2f}, money {x['phases']['money']:.2f}), {sum(x['findings'].values()):,} "
                  f"findings, peak RSS check {x['check_peak_mb']:.0f} MB, review {x['review_peak_mb']:.0f} MB "
                  f"({_load(x)})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=500_000, help="lines of each of the two big files (0: none)")
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--explain", type=Path, default=None)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    dsn = os.environ["DATABASE_URL"]
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        figures = run(dict(os.environ), dsn, Path(tmp), persons=args.persons, registrations=args.registrations,
                      items=args.items, lines=args.lines, big=args.big, sample=args.sample, explain_to=args.explain)
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
