"""Person search: identity number (full or prefix), name prefix, pinyin initials, on the indexes."""

import random
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import PermissionDenied
from core.paging import peek_page
from enrollment import demo
from enrollment.selectors.register import PersonQuery, parse_person_query, search_persons
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db



def id_number(n: int, county: str = "320911", gender: str = "1") -> str:
    """A valid identity number, different for each n."""
    birth = date(1950, 1, 1) + timedelta(days=n * 3)
    third = (n % 500) * 2 + (1 if gender == "1" else 0)
    from enrollment.identity import with_id_check_character

    return with_id_check_character(f"{county}{birth:%Y%m%d}{third:03d}")


def person(n: int, name: str, **extra):
    return PersonFactory(id_number=extra.pop("id_number", None) or id_number(n), name=name, **extra)


@pytest.mark.parametrize("text, expected", [
    ("320911", PersonQuery("id_number", "320911")),
    (" 32091119900101123x ", PersonQuery("id_number", "32091119900101123X")),
    ("3209 1119", PersonQuery("id_number", "32091119")),
    ("ZS", PersonQuery("initials", "zs")),
    ("z s", PersonQuery("initials", "zs")),
    ("张", PersonQuery("name", "张")),
    ("  张三 ", PersonQuery("name", "张三")),
    ("阿依古丽·买买提", PersonQuery("name", "阿依古丽·买买提")),
    ("", None),
    ("   ", None),
    ("张3", None),
    ("3209X1", None),
    ("1" * 19, None),
])
def test_the_search_box_tells_a_number_from_initials_and_a_name(text, expected):
    assert parse_person_query(text) == expected


def test_a_full_identity_number_finds_exactly_that_person(clerk):
    target = person(1, "张三")
    person(2, "张三")
    assert list(search_persons(user=clerk, query=target.id_number)) == [target]


def test_a_lowercase_check_character_finds_the_person(clerk):
    number = next(id_number(n) for n in range(100, 400) if id_number(n).endswith("X"))
    target = person(0, "李四", id_number=number)
    assert list(search_persons(user=clerk, query=number.lower())) == [target]


def test_an_identity_number_prefix_finds_every_match_in_number_order(reviewer):
    matches = [person(n, f"王{'伟芳娜'[n % 3]}", id_number=id_number(n, county="110105")) for n in range(5)]
    person(10, "王伟", id_number=id_number(10, county="310104"))
    found = list(search_persons(user=reviewer, query="110105"))
    assert found == sorted(matches, key=lambda p: p.id_number)


def test_a_name_prefix_finds_names_that_start_with_it_only(clerk):
    zhang_san, zhang_sanfeng = person(1, "张三"), person(2, "张三丰")
    person(3, "李张三")
    person(4, "张四")
    assert set(search_persons(user=clerk, query="张三")) == {zhang_san, zhang_sanfeng}


def test_pinyin_initials_find_the_name_in_either_case(clerk):
    zhang_san, zhao_shuang = person(1, "张三"), person(2, "赵爽")
    person(3, "李四")
    assert set(search_persons(user=clerk, query="zs")) == {zhang_san, zhao_shuang}
    assert set(search_persons(user=clerk, query="ZS")) == {zhang_san, zhao_shuang}


@pytest.mark.parametrize("name, initials, wrong", [
    ("单雄信", "sxx", "dxx"), ("曾国藩", "zgf", "cgf"), ("解缙", "xj", "jj"), ("仇英", "qy", "cy"),
])
def test_polyphonic_surnames_are_found_by_their_surname_reading(clerk, name, initials, wrong):
    target = person(1, name)
    assert target.name_initials == initials
    assert list(search_persons(user=clerk, query=initials)) == [target]
    assert list(search_persons(user=clerk, query=wrong)) == []


def test_an_empty_or_impossible_search_finds_nobody_without_asking_the_database(clerk,
                                                                                django_assert_num_queries):
    person(1, "张三")
    clerk.groups.all()  # roles are read once per user; count only the search
    search_persons(user=clerk, query="x")
    for text in ("", "张3", "=1+1"):
        with django_assert_num_queries(0):
            assert list(search_persons(user=clerk, query=text)) == []


def test_pages_of_results_follow_each_other_without_gaps_or_repeats(clerk):
    rng = random.Random(5)
    everyone = [person(n, "刘" + rng.choice(demo.GIVEN) + rng.choice(demo.GIVEN)) for n in range(120)]
    seen = []
    for number in (1, 2, 3):
        page = peek_page(search_persons(user=clerk, query="刘"), number, 50)
        seen.extend(page)
        assert page.has_next() == (number < 3)
    assert len(seen) == 120
    assert set(seen) == set(everyone)
    assert [(p.name.encode(), p.pk) for p in seen] == sorted((p.name.encode(), p.pk) for p in seen)


def test_a_page_is_one_query_without_count(clerk, client_for):
    for n in range(60):
        person(n, "陈" + "伟芳娜秀英敏"[n % 6])
    client = client_for(clerk)
    client.get(reverse("enrollment:person_search"))  # session and roles warmed up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("enrollment:person_search"), {"q": "陈"})
    assert response.status_code == 200
    person_queries = [q["sql"] for q in queries.captured_queries if "enrollment_person" in q["sql"]]
    assert len(person_queries) == 1
    assert "COUNT(" not in person_queries[0].upper()
    assert "LIMIT 51" in person_queries[0]


@pytest.mark.parametrize("text, index", [
    # The identity number uses the pattern index Django adds to a unique varchar (enrollment_person_id_number_…_like).
    ("3209", "enrollment_person_id_number_"), ("张", "person_name_prefix_idx"), ("zs", "person_initials_prefix_idx"),
])
def test_each_kind_of_search_reads_its_page_off_its_prefix_index_without_sorting_every_match(clerk, text, index):
    for n in range(30):
        person(n, "张三" if n % 2 else "李四")
    with connection.cursor() as cur:
        # A tiny table would be read whole and sorted; rule those out to see whether the index can give
        # the page in order, as it must for a million persons (bench/bench_search.py).
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute("SET LOCAL enable_sort = off")
    plan = search_persons(user=clerk, query=text)[:51].explain()
    assert f"Index Scan using {index}" in plan
    assert "Limit" in plan.splitlines()[0]
    # Only an incremental sort within equal keys (ties broken by id), never a sort of every match.
    assert not re.search(r"^ *(-> +)?Sort +\(", plan, re.MULTILINE), plan


@pytest.mark.parametrize("role", ["provider", "settlement_auditor"])
def test_only_enrollment_staff_may_search(personas, role):
    with pytest.raises(PermissionDenied):
        search_persons(user=personas[role], query="张")


def test_a_partial_number_longer_than_the_mask_shows_needs_the_permission_to_see_full_numbers(clerk, reviewer):
    target = person(1, "张三")
    partial = target.id_number[:10]
    assert list(search_persons(user=clerk, query=partial)) == []  # would reveal masked digits
    assert list(search_persons(user=clerk, query=target.id_number)) == [target]  # the whole number
    assert target in list(search_persons(user=clerk, query=target.id_number[:4]))  # shown by the mask anyway
    assert list(search_persons(user=reviewer, query=partial)) == [target]  # may see full numbers
