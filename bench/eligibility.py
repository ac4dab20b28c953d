"""Eligibility's figures (issue 15): the two loaders beside a bare COPY of the same file, and the
coverage check's server time at scale.

    python bench/eligibility.py [--items 50000] [--registrations 100000] [--persons 1000000] [--lookups 2000]

Uses the configured database (migrated) and fills it: run it on a scratch database (make bench
does). Persons are inserted by SQL, with identity numbers as real ones are made (a county code, the
birth date, a sequence whose last digit gives the sex, and the GB 11643 check character): the
settlement review reads the birth date and the sex from them (bench/settlement_review.py).

- load_catalogue: N items into an empty catalogue, then the same file again (all unchanged);
- load_registrations: N rows of the four kinds into an empty table (one audit entry per
  registration created), then the same file again;
- bare COPY: the same file into a table of text columns, nothing else (the floor);
- coverage: the API view called in-process (authentication, the answer, the log's INSERT) for
  random persons of an M-person register with N registrations: p50 and p99 milliseconds.
"""

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = 60


def _setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


BORN_FROM, BIRTH_DAYS = date(1940, 1, 1), 30_000  # birth dates from 1940 to 2022: children too


def birth_date(i: int) -> date:
    """The i-th bench person's birth date (the identity number's 7th to 14th characters)."""
    return BORN_FROM + timedelta(days=i % BIRTH_DAYS)


def is_male(i: int) -> bool:
    """The 17th character (the sequence's last digit) is odd for a man."""
    return (i // BIRTH_DAYS) % 2 == 1


def _id_number(i: int) -> str:
    """The i-th bench person's identity number: county 320102, the birth date, a three-digit sequence
    (unique per birth date), and the GB 11643 check character. Unique for i below 25,000,000."""
    stem = f"320102{birth_date(i):%Y%m%d}{i // BIRTH_DAYS:03d}"
    return stem + "10X98765432"[sum(int(d) * w for d, w in zip(stem, WEIGHTS, strict=True)) % 11]


# The same in SQL, over i.
_SQL_STEM = (f"'320102' || to_char(date '{BORN_FROM}' + (i %% {BIRTH_DAYS}), 'YYYYMMDD') "
             f"|| lpad((i / {BIRTH_DAYS})::text, 3, '0')")
_SQL_ID = ("s || substr('10X98765432', mod(" + " + ".join(f"substr(s, {k + 1}, 1)::int * {w}"
                                                            for k, w in enumerate(WEIGHTS)) + ", 11) + 1, 1)")


def ensure_persons(n: int) -> float:
    """n persons (and their one status each), inserted by SQL if missing; returns seconds taken."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM enrollment_person WHERE id_number = %s", [_id_number(n - 1)])
        if cur.fetchone()[0]:
            return 0.0
        have = 0
        cur.execute(f"""
            INSERT INTO enrollment_person (id_number, name, name_initials, gender, birth_date, insurance_type,
                employer_code, status, status_date, paid_through, phone, address, version, created_at, updated_at)
            SELECT {_SQL_ID}, '测试' || i, 'cs', CASE WHEN (i / {BIRTH_DAYS}) %% 2 = 1 THEN '1' ELSE '2' END,
                   date '{BORN_FROM}' + (i %% {BIRTH_DAYS}),
                   CASE WHEN i %% 3 = 0 THEN 'RES' ELSE 'EMP' END, '',
                   CASE WHEN i %% 20 = 0 THEN 'SUSPENDED' ELSE 'ACTIVE' END, date '2020-01-01', NULL, '', '', 1,
                   now(), now()
            FROM (SELECT i, {_SQL_STEM} AS s FROM generate_series(%s, %s - 1) AS i) g
            ON CONFLICT (id_number) DO NOTHING
        """, [have, n])
        cur.execute("""
            INSERT INTO enrollment_statuschange (person_id, status, status_date, source, reference, recorded_at)
            SELECT p.id, p.status, p.status_date, 'LOAD', 'bench', now() FROM enrollment_person p
            WHERE NOT EXISTS (SELECT 1 FROM enrollment_statuschange s WHERE s.person_id = p.id)
        """)
        cur.execute("ANALYZE enrollment_person")
        cur.execute("ANALYZE enrollment_statuschange")
    return time.perf_counter() - started


def ensure_providers() -> list[str]:
    from core.models import Provider

    codes = [f"B{i:08d}" for i in range(PROVIDERS)]
    Provider.objects.bulk_create([Provider(code=c, name=f"医院{c}", level=1 + i % 3, area="OUT" if i % 4 == 0 else "LOCAL")
                                  for i, c in enumerate(codes)], ignore_conflicts=True)
    return codes


def write_catalogue(path: Path, n: int) -> Path:
    rng = random.Random(15)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("item_code", "name", "category", "pay_class", "price_cap", "sex_limit", "age_min", "age_max",
                    "max_per_day", "max_per_claim", "indications", "effective_from", "effective_to"))
        for i in range(n):
            category = rng.choice(("DRUG", "DRUG", "SERVICE", "MATERIAL", "BED"))
            w.writerow((f"X{i:010d}", f"项目{i}号{rng.choice(('片', '胶囊', '注射液', '检查', '床位'))}", category,
                        rng.choice("AABC"), f"{rng.randint(1, 99999) / 100:.2f}" if rng.random() < 0.8 else "",
                        rng.choice(("", "", "", "M", "F")), "" if rng.random() < 0.9 else "18", "",
                        rng.choice(("", "3", "6")), rng.choice(("", "", "30")),
                        rng.choice(("", "", "", "E10;E11", "I10", "C")), "2024-01-01",
                        "" if rng.random() < 0.9 else "2026-12-31"))
    return path


def write_registrations(path: Path, n: int, persons: int, providers: list[str]) -> Path:
    rng = random.Random(16)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("kind", "number", "id_number", "approved_on", "valid_from", "valid_to", "provider_codes",
                    "diagnosis_categories", "measure"))
        for i in range(n):
            idn = _id_number(rng.randrange(persons))
            kind = ("REFERRAL", "SPECIAL_DISEASE", "RESIDENCE_ELSEWHERE", "PENALTY")[i % 4]
            if kind == "REFERRAL":
                row = (kind, f"Z{i:08d}", idn, "2026-05-01", "", "", ";".join(rng.sample(providers, 2)), "", "")
            elif kind == "SPECIAL_DISEASE":
                row = (kind, f"M{i:08d}", idn, "2025-12-20", "2026-01-01", "2027-12-31", "", "E11;I10", "")
            elif kind == "RESIDENCE_ELSEWHERE":
                row = (kind, f"R{i:08d}", idn, "2026-01-01", "2026-01-01", "", ";".join(rng.sample(providers, 3)),
                       "", "")
            else:
                measure = ("SETTLEMENT_METHOD", "RESTRICTED_PROVIDERS", "MONITORING")[i % 3]
                codes = rng.choice(providers) if measure == "RESTRICTED_PROVIDERS" else ""
                row = (kind, f"P{i:08d}", idn, "2026-01-01", "2026-01-01", "2026-12-31", codes, "", measure)
            w.writerow(row)
    return path


def bare_copy(path: Path) -> float:
    """COPY the file as it is into a table of text columns (the floor for a loader)."""
    from django.db import connection, transaction

    with open(path, encoding="utf-8") as f:
        width = len(next(csv.reader(f)))
    with transaction.atomic(), connection.cursor() as cur:
        started = time.perf_counter()
        cur.execute("CREATE TEMP TABLE bare (" + ", ".join(f"c{i} text" for i in range(width)) + ") ON COMMIT DROP")
        with open(path, "rb") as f, cur.copy("COPY bare FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while chunk := f.read(1 << 16):
                copy.write(chunk)
        return time.perf_counter() - started


def timed(function, **kwargs):
    started = time.perf_counter()
    result = function(**kwargs)
    return time.perf_counter() - started, result


def coverage_times(persons: int, lookups: int) -> dict:
    """The coverage view in-process for random persons: p50 and p99 in ms (all from a warm start)."""
    from django.db import connection
    from django.test import RequestFactory
    from rest_framework.authtoken.models import Token

    from core.models import Provider
    from core.provider_accounts import issue_api_token
    from eligibility.api.coverage import Coverage

    provider = Provider.objects.order_by("code").first()
    key = issue_api_token(provider_code=provider.code, username="bench_api")
    assert Token.objects.filter(key=key, user__username="bench_api").exists()
    view, factory, rng = Coverage.as_view(), RequestFactory(), random.Random(17)
    times, covered = [], 0
    with connection.cursor() as cur:
        cur.execute("ANALYZE eligibility_registration")
    for i in range(lookups + 50):
        request = factory.get("/api/v1/eligibility/coverage/", {
            "id_number": _id_number(rng.randrange(persons)), "date": "2026-06-15",
            "visit_type": rng.choice(("INPATIENT", "OUTPATIENT"))}, HTTP_AUTHORIZATION=f"Token {key}")
        started = time.perf_counter()
        response = view(request)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.data
        if i >= 50:  # the first requests warm the caches
            times.append(elapsed * 1000)
            covered += response.data["covered"]
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1], "lookups": len(times),
            "covered": covered}


def run(items: int = 50_000, registrations: int = 100_000, persons: int = 1_000_000, lookups: int = 2000) -> dict:
    _setup_django()
    from eligibility.services.catalogue import load_catalogue
    from eligibility.services.registrations import load_registrations

    out = {"items": items, "registrations": registrations, "persons": persons}
    out["persons_s"] = ensure_persons(persons)
    codes = ensure_providers()
    with tempfile.TemporaryDirectory(prefix="bench-elig-") as tmp:
        catalogue = write_catalogue(Path(tmp) / "catalogue.csv", items)
        out["catalogue_copy_s"] = bare_copy(catalogue)
        out["catalogue_s"], first = timed(load_catalogue, path=catalogue)
        out["catalogue_again_s"], again = timed(load_catalogue, path=catalogue)
        out["catalogue_counts"] = (first.created, again.unchanged)
        regs = write_registrations(Path(tmp) / "registrations.csv", registrations, persons, codes)
        out["registrations_copy_s"] = bare_copy(regs)
        out["registrations_s"], first = timed(load_registrations, path=regs)
        out["registrations_again_s"], again = timed(load_registrations, path=regs)
        out["registration_counts"] = (first.created, again.unchanged)
    out["coverage"] = coverage_times(persons, lookups)
    return out


def print_figures(f: dict) -> None:
    print("Eligibility loaders (issue 15), seconds, beside a bare COPY of the same file into text columns:")
    print(f"  load_catalogue      {f['items']:>9,} items: {f['catalogue_s']:6.2f} s first load "
          f"({f['catalogue_counts'][0]:,} created), {f['catalogue_again_s']:6.2f} s again "
          f"({f['catalogue_counts'][1]:,} unchanged); bare COPY {f['catalogue_copy_s']:.2f} s")
    print(f"  load_registrations  {f['registrations']:>9,} rows:  {f['registrations_s']:6.2f} s first load "
          f"({f['registration_counts'][0]:,} created, one audit entry each), {f['registrations_again_s']:6.2f} s again "
          f"({f['registration_counts'][1]:,} unchanged); bare COPY {f['registrations_copy_s']:.2f} s")
    c = f["coverage"]
    print(f"Coverage check at {f['persons']:,} persons and {f['registrations']:,} registrations, {c['lookups']:,} "
          f"lookups in-process (view, token, answer, log INSERT): p50 {c['p50']:.2f} ms, p99 {c['p99']:.2f} ms "
          f"(target p99 < 20 ms); {c['covered']:,} covered")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--registrations", type=int, default=100_000)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    print_figures(run(args.items, args.registrations, args.persons, args.lookups))
    return 0


if __name__ == "__main__":
    sys.exit(main())
