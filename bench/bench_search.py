"""Person and employer search at scale: fill a scratch database with n persons and time the search.

    python bench/bench_search.py --persons 1000000

run(n_persons) creates its own scratch database (the configured database's name + "_bench_search",
migrated like a test database, dropped afterwards), generates n persons from demo.py's vocabulary
with one INSERT ... SELECT over generate_series (secondary indexes built after) and n / 20 employers,
ANALYZEs, and times enrollment.selectors.search_persons as the search page calls it (the first page
of 50 through core.paging.peek_page), `queries` different searches of each kind (KINDS): identity-number
prefixes, the last four characters alone and with a name, name prefixes, parts of names of one, two
and three characters (王 among them: a very common surname, about 7 % of the register, as in China),
pinyin initials; and search_employers by a part of the name or of the credit code. Then the same
searches as whole page requests through Django's test client (middleware, session, template). The
target (issue 14, item 3): p95 under 50 ms with 1,000,000 persons.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
# What each kind of search is, in the order the results are printed.
KINDS = {
    "id_prefix": "identity number or its first digits",
    "last_four": "last four characters",
    "last_four_name": "last four with a name (王 1234)",
    "name_prefix": "start of a name",
    "name_part_1": "one character anywhere in the name",
    "name_part_2": "two characters anywhere in the name",
    "name_part_3": "three characters anywhere in the name",
    "initials": "pinyin initials",
    "employer_name": "part of an employer's name",
    "employer_code": "part of a credit code",
}
EMPLOYER_KINDS = ("employer_name", "employer_code")


def _setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


@contextmanager
def scratch_database(suffix: str = "_bench_search", *, keep: bool = False, reuse: bool = False):
    """A freshly migrated database of its own for the duration of the block, dropped afterwards
    (unless `keep`). With `reuse`, a database kept by an earlier run is used as it is: yields
    (name, True) then, else (name, False)."""
    from django.db import connection

    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    name = f"{old_name}{suffix}"
    if reuse:
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            exists = cur.fetchone() is not None
        if exists:
            connection.close()
            settings_dict["NAME"] = name
            try:
                yield name, True
            finally:
                connection.close()
                settings_dict["NAME"] = old_name
            return
    old_test = dict(settings_dict.get("TEST") or {})
    settings_dict["TEST"] = {**old_test, "NAME": name}
    created_from = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield settings_dict["NAME"], False
    finally:
        if keep:
            connection.close()
            settings_dict["NAME"] = created_from
        else:
            connection.creation.destroy_test_db(created_from, verbosity=0)
        settings_dict["TEST"] = old_test


# n persons generated in the database (INSERT ... SELECT over generate_series) from demo.py's
# vocabulary: its surnames (the first three, 王 李 张, drawn about 7 % of the time each, as common as
# they are in China; the others evenly), given-name characters (30 % one, 70 % two), counties,
# employers and status weights, as demo.people draws them. Identity numbers are valid (GB 11643) and
# unique by construction: row i gets county c = i mod 10, birth day d = (i / 10) mod 29200 after
# 1940-01-01 and order code 2 * ((i / 292000 + 37 c + 101 d) mod 500) + sex, so that the last four
# characters spread over their thousands of values as real numbers do (for a given county and day,
# the blocks i / 292000 get different order codes). The check character's weighted digit sum is the
# county's part plus the birth date's part (both looked up in integer arrays, one entry per county
# and per day) plus the order code's. The random draws are made once per row in the inner query
# (OFFSET 0 keeps PostgreSQL from inlining it and drawing again).
GENERATE_PERSONS = """
INSERT INTO enrollment_person (id_number, name, name_initials, gender, birth_date, insurance_type, employer_code,
                               status, status_date, paid_through, phone, address, version, created_at, updated_at)
SELECT (%(counties)s::text[])[g.c] || (%(ymd)s::int[])[g.d] || lpad(g.o::text, 3, '0')
         || substr('10X98765432', ((%(county_sums)s::int[])[g.c] + (%(day_sums)s::int[])[g.d]
                                   + (g.o / 100) * 8 + (g.o / 10 %% 10) * 4 + (g.o %% 10) * 2) %% 11 + 1, 1),
       substr(%(surnames)s, g.si, 1) || substr(%(given)s, g.g1, 1)
         || CASE WHEN g.one THEN '' ELSE substr(%(given)s, g.g2, 1) END,
       substr(%(surname_initials)s, g.si, 1) || substr(%(given_initials)s, g.g1, 1)
         || CASE WHEN g.one THEN '' ELSE substr(%(given_initials)s, g.g2, 1) END,
       (g.sex + 1)::text, g.birth,
       CASE WHEN g.r_emp < 0.6 THEN 'EMP' ELSE 'RES' END,
       CASE WHEN g.r_emp < 0.6 THEN (%(employers)s::text[])[1 + floor(g.r_emp / 0.6 * %(n_employers)s)::int] ELSE '' END,
       CASE WHEN g.r_status < 0.90 THEN 'ACTIVE' WHEN g.r_status < 0.96 THEN 'SUSPENDED' ELSE 'TERMINATED' END,
       LEAST(GREATEST(g.birth + 1, DATE '2000-01-01' + g.status_day), DATE '2026-11-01'),
       (%(paid)s::date[])[1 + g.paid_choice], '', '', 1, now(), now()
FROM (
  SELECT 1 + i %% 10 AS c, 1 + (i / 10) %% 29200 AS d, DATE '1940-01-01' + ((i / 10) %% 29200)::int AS birth,
         2 * ((i / 292000 + 37 * (i %% 10) + 101 * ((i / 10) %% 29200)) %% 500) + sex AS o,
         sex, si, one, g1, g2, r_emp, r_status, status_day, paid_choice
  FROM (
    SELECT i, (random() < 0.5)::int AS sex,
           CASE WHEN r_s < 0.2 THEN 1 + floor(r_s / 0.2 * 3)::int
                ELSE 1 + floor((r_s - 0.2) / 0.8 * %(n_surnames)s)::int END AS si, random() < 0.3 AS one,
           1 + floor(random() * %(n_given)s)::int AS g1, 1 + floor(random() * %(n_given)s)::int AS g2,
           random() AS r_emp, random() AS r_status, floor(random() * 9400)::int AS status_day,
           floor(random() * 5)::int AS paid_choice
    FROM generate_series(0, %(n)s::int - 1) AS i, LATERAL (SELECT random() + i * 0 AS r_s) s
    OFFSET 0
  ) r
) g
"""
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
DAYS = 29200


def _digit_sum(digits: str, weights) -> int:
    return sum(int(ch) * w for ch, w in zip(digits, weights, strict=True))


DISTRICTS = ("", "江北", "城南", "城东", "高新区", "开发区", "新城", "临江", "湖滨", "北塘", "西山", "东坡", "南湖",
             "青山", "白沙", "金港", "玉泉", "龙华", "凤凰", "梧桐", "桂园")


def bench_employers(n: int) -> list[dict]:
    """n employers (about one for every 20 persons, as in a city's register): demo.py's employers
    with a district in some names, so that names repeat less than demo.py's 864 combinations."""
    from enrollment import demo

    rows = demo.employers(n)
    for i, row in enumerate(rows):
        district = DISTRICTS[(i * 5) % len(DISTRICTS)]
        row["name"] = row["name"].replace("示范市", f"示范市{district}", 1)
    return rows


def vocabulary(n: int) -> dict:
    """demo.py's words, and the pinyin initial of each character, as GENERATE_PERSONS draws from them.

    A demo name is a surname character and one or two given-name characters, and for every such
    name pinyin_initials(name) is the initials of its characters in turn, the surname by its surname
    reading (checked over all of them; fill_persons checks a sample again).
    """
    from datetime import date, timedelta

    from enrollment import demo
    from enrollment.identity import _initials, pinyin_initials

    surname_initials = "".join(pinyin_initials(c) for c in demo.SURNAMES)
    given_initials = "".join(_initials(c) for c in demo.GIVEN)
    if (len(surname_initials), len(given_initials)) != (len(demo.SURNAMES), len(demo.GIVEN)):
        raise RuntimeError("a demo name character has no single pinyin initial")
    employers = bench_employers(max(20, n // 20))
    days = [date(1940, 1, 1) + timedelta(days=d) for d in range(DAYS)]
    first_of_month = date(2026, 11, 1)
    return {
        "surnames": demo.SURNAMES, "surname_initials": surname_initials,
        "given": demo.GIVEN, "given_initials": given_initials,
        "counties": demo.COUNTIES, "county_sums": [_digit_sum(c, ID_WEIGHTS[:6]) for c in demo.COUNTIES],
        "ymd": [int(f"{day:%Y%m%d}") for day in days], "day_sums": [_digit_sum(f"{day:%Y%m%d}", ID_WEIGHTS[6:14])
                                                                     for day in days],
        "employers": [e["uscc"] for e in employers], "employer_rows": employers,
        "paid": [(first_of_month - timedelta(days=d)).replace(day=1) for d in (1, 1, 1, 40, 400)],
        "n": n,
    }


def fill_persons(n: int, *, sample_size: int = 2000) -> tuple[float, list[dict], list[dict]]:
    """Generate n persons (and their employers) in the database; the seconds taken, a sample of the
    persons and the employers."""
    from django.db import connection

    from enrollment.identity import check_id_number, pinyin_initials

    if n > 146_000_000:
        raise ValueError("at most 146,000,000 persons: the identity numbers would repeat")
    words = vocabulary(n)
    params = {k: v for k, v in words.items() if k != "employer_rows"}
    params.update({f"n_{k}": len(words[k]) for k in ("surnames", "given", "employers")})
    now = datetime.now(UTC)
    started = time.perf_counter()
    connection.ensure_connection()
    with connection.connection.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '256MB'")
        # Secondary indexes are built once after the load, which is faster than maintaining them row by row.
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'enrollment_person' "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint "
                    "WHERE conrelid = 'enrollment_person'::regclass)")
        secondary = cur.fetchall()
        for index_name, _definition in secondary:
            cur.execute(f'DROP INDEX "{index_name}"')
        with cur.copy("COPY enrollment_employer (uscc, name, address, contact_name, contact_phone, schemes, status, "
                      "version, created_at, updated_at) FROM STDIN") as copy:
            for e in words["employer_rows"]:
                copy.write_row((e["uscc"], e["name"], e["address"], e["contact_name"], e["contact_phone"],
                                ["BASIC"], "ACTIVE", 1, now, now))
        cur.execute(GENERATE_PERSONS, params)
        generated = time.perf_counter()
        for _index_name, definition in secondary:
            cur.execute(definition)
        indexed = time.perf_counter()
    print(f"  generated {n:,} persons in {generated - started:.1f} s, indexed in {indexed - generated:.1f} s",
          file=sys.stderr)
    sample = sample_persons(n, sample_size)
    for row in sample:
        check_id_number(row["id_number"])
        if pinyin_initials(row["name"]) != row["name_initials"]:
            raise RuntimeError(f"the initials of {row['name']} differ from pinyin_initials")
    return indexed - started, sample, words["employer_rows"]


def sample_persons(n: int, sample_size: int = 2000) -> list[dict]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id_number, name, name_initials FROM enrollment_person TABLESAMPLE BERNOULLI (%s) LIMIT %s",
                    [min(100.0, 100.0 * sample_size * 20 / max(n, 1)), sample_size])
        return [{"id_number": i, "name": nm, "name_initials": ini} for i, nm, ini in cur.fetchall()]


def kept_employers() -> list[dict]:
    from enrollment.models import Employer

    return list(Employer.objects.values("uscc", "name"))


def analyze() -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE enrollment_person")
        cur.execute("ANALYZE enrollment_employer")
    return time.perf_counter() - started


def _part(rng: random.Random, text: str, length: int) -> str:
    """A part of `text` of `length` characters (or all of it) at a random place."""
    if len(text) <= length:
        return text
    start = rng.randrange(0, len(text) - length + 1)
    return text[start:start + length]


def search_texts(sample: list[dict], employers: list[dict], queries: int, seed: int = 3) -> dict[str, list[str]]:
    """`queries` searches of each kind (KINDS), drawn from persons and employers that exist.

    Parts of names are taken anywhere in the name; one in five one-character searches is 王, the
    most common surname (about 70,000 persons in a million), whose page must not sort them all.
    """
    rng = random.Random(seed)
    rows = [rng.choice(sample) for _ in range(queries)]
    firms = [rng.choice(employers) for _ in range(queries)]
    return {
        "id_prefix": [r["id_number"][:rng.choice([6, 8, 10, 12, 14, 17, 18])] for r in rows],
        "last_four": [r["id_number"][-4:] for r in rows],
        "last_four_name": [rng.choice(["{name} {last}", "{last} {name}", "{name}{last}"]).format(
            name=r["name"][:rng.choice([1, 2, 3])], last=r["id_number"][-4:]) for r in rows],
        "name_prefix": [r["name"][:rng.choice([1, 2, 3])] for r in rows],
        "name_part_1": ["王" if n % 5 == 0 else _part(rng, r["name"], 1) for n, r in enumerate(rows)],
        "name_part_2": [_part(rng, r["name"], 2) for r in rows],
        "name_part_3": [_part(rng, r["name"], 3) for r in rows],
        "initials": [r["name_initials"][:rng.choice([1, 2, 3])] for r in rows],
        "employer_name": [_part(rng, e["name"].removeprefix("示范市"), rng.choice([2, 3, 4])) for e in firms],
        "employer_code": [_part(rng, e["uscc"], rng.choice([4, 6, 8])) for e in firms],
    }


def _ms_stats(timings: list[float]) -> dict:
    ordered = sorted(timings)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "max_ms": round(ordered[-1], 2)}


def _search(kind: str, text: str, user):
    """The search a page runs for `text`, as a sliceable sequence (persons or employers)."""
    from enrollment.selectors.register import employers_visible_to, search_employers, search_persons

    if kind in EMPLOYER_KINDS:
        return search_employers(employers_visible_to(user), text)
    return search_persons(user=user, query=text)


def time_searches(texts: dict[str, list[str]], user) -> dict:
    """Each search as the page runs it: the selector, then one page of 50 (+1 to see if there is more)."""
    from core.paging import peek_page

    for text in texts["name_prefix"][:5]:  # warm the connection and the caches
        list(peek_page(_search("name_prefix", text, user), 1, 50))
    results = {}
    for kind, kind_texts in texts.items():
        timings, found = [], 0
        for text in kind_texts:
            started = time.perf_counter()
            page = peek_page(_search(kind, text, user), 1, 50)
            timings.append((time.perf_counter() - started) * 1000)
            found += bool(page.object_list)
        results[kind] = {**_ms_stats(timings), "queries": len(kind_texts), "with_results": found}
    return results


def time_pages(texts: dict[str, list[str]], user) -> dict:
    """The whole search page through Django (middleware, session, roles, template), as a browser gets it."""
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    results = {}
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(user)
        for text in texts["name_prefix"][:5]:
            client.get(reverse("enrollment:person_search"), {"q": text})
        for kind, kind_texts in texts.items():
            url = reverse("enrollment:employer_list" if kind in EMPLOYER_KINDS else "enrollment:person_search")
            timings = []
            for text in kind_texts:
                started = time.perf_counter()
                response = client.get(url, {"q": text})
                timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"the search page answered {response.status_code} for {text!r}")
            results[kind] = _ms_stats(timings)
    return results


def plans(texts: dict[str, list[str]], user) -> dict[str, str]:
    """The plan of the slowest-looking search of each kind (the first of 王 for one character)."""
    return {kind: _search(kind, kind_texts[0], user)[:51].explain() if kind in EMPLOYER_KINDS
            else _search(kind, kind_texts[0], user).explain()
            for kind, kind_texts in texts.items()}


def run(n_persons: int, queries: int = 50, show_plans: bool = False, keep: bool = False, reuse: bool = False) -> dict:
    _setup_django()
    from django.contrib.auth import get_user_model

    with scratch_database(keep=keep, reuse=reuse) as (database, reused):
        if reused:
            from enrollment.models import Person

            n_persons = Person.objects.count()
            fill_seconds, sample, employers = 0.0, sample_persons(n_persons), kept_employers()
        else:
            fill_seconds, sample, employers = fill_persons(n_persons)
        analyze_seconds = analyze()
        user, _ = get_user_model().objects.get_or_create(username="bench_search", defaults={"is_superuser": True})
        texts = search_texts(sample, employers, queries)
        timings = time_searches(texts, user)
        for kind, page in time_pages(texts, user).items():
            timings[kind]["page"] = page
        result = {
            "benchmark": "person search", "database": database, "persons": n_persons, "employers": len(employers),
            "fill_seconds": round(fill_seconds, 1), "analyze_seconds": round(analyze_seconds, 1),
            "target_ms": TARGET_MS, **timings,
            "ok": all(t["p95_ms"] < TARGET_MS and t["page"]["p95_ms"] < TARGET_MS for t in timings.values()),
        }
        if show_plans:
            result["plans"] = plans(texts, user)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50, help="searches of each kind")
    parser.add_argument("--plans", action="store_true", help="print the query plan of one search of each kind")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="search the database an earlier --keep run left")
    args = parser.parse_args(argv)
    result = run(args.persons, queries=args.queries, show_plans=args.plans, keep=args.keep, reuse=args.reuse)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0 if result["ok"] else 1
    print(f"Search over {result['persons']:,} persons and {result['employers']:,} employers (filled in "
          f"{result['fill_seconds']} s, ANALYZE {result['analyze_seconds']} s); {args.queries} searches of each "
          f"kind, first page of 50, ms:")
    print(f"  {'':<15} {'selector + page of 50':^38}   {'whole page (GET ...?q=)':^38}")
    for kind in KINDS:
        t, page = result[kind], result[kind]["page"]
        print(f"  {kind:<15} median {t['median_ms']:>6.2f}  p95 {t['p95_ms']:>6.2f}  max {t['max_ms']:>6.2f}"
              f"   median {page['median_ms']:>6.2f}  p95 {page['p95_ms']:>6.2f}  max {page['max_ms']:>6.2f}"
              f"   ({t['with_results']}/{t['queries']} found; {KINDS[kind]})")
    for kind, plan in result.get("plans", {}).items():
        print(f"\n{kind}:\n{plan}")
    print(f"target: p95 under {TARGET_MS:.0f} ms: {'met' if result['ok'] else 'NOT met'}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
