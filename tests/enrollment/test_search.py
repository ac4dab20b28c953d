"""Person search: any part of the name, the last four characters of the identity number (alone or
with a name), the whole number or its first digits, pinyin initials; employers by any part of the
name or the credit code. Each kind on its index, a page in one query or two."""

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
from enrollment.models import Employer
from enrollment.selectors.register import (
    PersonQuery,
    employers_visible_to,
    parse_person_query,
    search_employers,
    search_persons,
)
from tests.factories import EmployerFactory, PersonFactory

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
    ("1234", PersonQuery("last_four", "1234")),
    ("123x", PersonQuery("last_four", "123X")),
    ("王 1234", PersonQuery("last_four", "1234", name="王")),
    ("1234 王芳", PersonQuery("last_four", "1234", name="王芳")),
    ("王芳1234", PersonQuery("last_four", "1234", name="王芳")),
    ("王 芳 123x", PersonQuery("last_four", "123X", name="王芳")),
    ("zs 1234", PersonQuery("last_four", "1234", initials="zs")),
    ("32091119900101123X 张三", PersonQuery("id_number", "32091119900101123X", name="张三")),
    ("ZS", PersonQuery("initials", "zs")),
    ("z s", PersonQuery("initials", "zs")),
    ("张", PersonQuery("name", "张")),
    ("  张三 ", PersonQuery("name", "张三")),
    ("王 芳", PersonQuery("name", "王芳")),
    ("阿依古丽·买买提", PersonQuery("name", "阿依古丽·买买提")),
    ("", None),
    ("   ", None),
    ("张3", None),
    ("王 12345", None),  # with a name only the last four or the whole number: never a longer part
    ("王 123", None),
    ("张1三", None),
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


def test_a_name_finds_names_that_start_with_it_first_then_those_that_have_it_further_on(clerk):
    zhang_san, zhang_sanfeng = person(1, "张三"), person(2, "张三丰")
    li_zhang_san, ouyang_zhang_san = person(3, "李张三"), person(4, "欧阳张三")
    person(5, "张四")
    person(6, "张二三")
    found = list(search_persons(user=clerk, query="张三"))
    assert found == [zhang_san, zhang_sanfeng, li_zhang_san, ouyang_zhang_san]


@pytest.mark.parametrize("text, expected", [
    ("王", {"王芳", "王小明", "李王", "欧阳王芳", "王王"}),  # one character: a very common surname, anywhere
    ("芳", {"王芳", "欧阳王芳", "芳华"}),
    ("小明", {"王小明", "小明"}),  # two characters
    ("阳王芳", {"欧阳王芳"}),  # three characters
    ("王小明", {"王小明"}),
    ("依古丽", {"阿依古丽·买买提"}),
    ("·买", {"阿依古丽·买买提"}),
    ("明小", set()),
    ("王明", set()),  # the characters, but not next to each other
])
def test_any_part_of_a_name_finds_the_person(clerk, text, expected):
    for n, name in enumerate(["王芳", "王小明", "李王", "欧阳王芳", "王王", "芳华", "小明", "阿依古丽·买买提", "张三"]):
        person(n, name)
    found = [p.name for p in search_persons(user=clerk, query=text)]
    assert sorted(found) == sorted(expected)  # each person once, even 王王


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


def test_pages_run_on_from_the_names_that_start_with_the_text_to_those_that_have_it_further_on(clerk):
    rng = random.Random(7)
    starting = [person(n, "刘" + rng.choice(demo.GIVEN) + rng.choice(demo.GIVEN)) for n in range(70)]
    further = [person(100 + n, rng.choice("王李张") + "刘" + rng.choice(demo.GIVEN)) for n in range(60)]
    person(300, "王伟")
    seen, pages = [], []
    for number in (1, 2, 3):
        page = peek_page(search_persons(user=clerk, query="刘"), number, 50)
        seen.extend(page)
        pages.append(len(page))
        assert page.has_next() == (number < 3)
    assert pages == [50, 50, 30]
    assert seen[:70] == sorted(starting, key=lambda p: (p.name.encode(), p.pk))
    assert seen[70:] == sorted(further, key=lambda p: p.pk)  # then in the order of registration


def test_a_page_deep_in_the_second_tier_skips_the_first_tier_by_counting_it(clerk, django_assert_num_queries):
    for n in range(30):
        person(n, "刘" + "伟芳娜"[n % 3])
    for n in range(80):
        person(100 + n, "王刘" + "伟芳娜秀英敏"[n % 6])
    clerk.groups.all()
    search_persons(user=clerk, query="x")
    with django_assert_num_queries(3):  # the first tier's page (empty), its count, the second tier's page
        page = peek_page(search_persons(user=clerk, query="刘"), 3, 50)
    assert len(page) == 10 and not page.has_next()
    assert all(p.name.startswith("王刘") for p in page)


def person_queries(client, **params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("enrollment:person_search"), params)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries if "enrollment_person" in q["sql"]]


def test_a_page_is_one_query_without_count_when_the_names_that_start_with_the_text_fill_it(clerk, client_for):
    for n in range(60):
        person(n, "陈" + "伟芳娜秀英敏"[n % 6])
    client = client_for(clerk)
    client.get(reverse("enrollment:person_search"))  # session and roles warmed up
    sql = person_queries(client, q="陈")
    assert len(sql) == 1
    assert "COUNT(" not in sql[0].upper()
    assert "LIMIT 51" in sql[0]


def test_a_page_that_reaches_the_names_with_the_text_further_on_is_two_queries(clerk, client_for):
    for n in range(20):
        person(n, "陈" + "伟芳娜秀英敏"[n % 6])
    for n in range(60):
        person(100 + n, "李陈" + "伟芳娜秀英敏"[n % 6])
    client = client_for(clerk)
    client.get(reverse("enrollment:person_search"))
    first, second = person_queries(client, q="陈")
    assert "LIMIT 51" in first and "LIMIT 31" in second
    assert "COUNT(" not in (first + second).upper()


@pytest.mark.parametrize("text, index", [
    # The identity number uses the pattern index Django adds to a unique varchar (enrollment_person_id_number_…_like).
    ("320911", "enrollment_person_id_number_"), ("张", "person_name_prefix_idx"), ("zs", "person_initials_prefix_idx"),
    ("1234", "person_last_four_idx"), ("张 1234", "person_last_four_idx"),
])
def test_each_kind_of_search_reads_its_page_off_its_index_without_sorting_every_match(reviewer, text, index):
    for n in range(30):
        person(n, "张三" if n % 2 else "李四")
    with connection.cursor() as cur:
        # A tiny table would be read whole and sorted; rule those out to see whether the index can give
        # the page in order, as it must for a million persons (bench/bench_search.py).
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute("SET LOCAL enable_sort = off")
    first_tier = search_persons(user=reviewer, query=text).querysets[0]
    plan = first_tier[:51].explain()
    assert f"Index Scan using {index}" in plan
    assert "Limit" in plan.splitlines()[0]
    # Only an incremental sort within equal keys (ties broken by id), never a sort of every match.
    assert not re.search(r"^ *(-> +)?Sort +\(", plan, re.MULTILINE), plan


@pytest.mark.parametrize("text", ["王", "小明", "欧阳王"])
def test_a_part_further_on_in_the_name_is_looked_up_in_the_grams_index(clerk, text):
    for n in range(30):
        person(n, "欧阳王小明" if n % 2 else "李四")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")  # not by walking the name index in order
    further = search_persons(user=clerk, query=text).querysets[1]
    assert "Bitmap Index Scan on person_name_grams_idx" in further[:51].explain()


def test_the_grams_leave_out_the_first_character_and_follow_a_change_of_name(clerk):
    target = person(1, "王小明")
    target.refresh_from_db()
    assert sorted(target.name_grams) == sorted(["小", "小明", "明"])
    Person = type(target)
    Person.objects.filter(pk=target.pk).update(name="李晓明")
    assert list(search_persons(user=clerk, query="晓明")) == [target]
    assert list(search_persons(user=clerk, query="小明")) == []


# --- the last four characters of the identity number -------------------------------------------------

def ending_in(n: int, last_four: str, county: str = "320911") -> str:
    """A valid identity number ending in `last_four`: its order code, and a birth date (from 1960 on,
    different for each n) for which the check character is the last."""
    from enrollment.identity import with_id_check_character

    for day in range(n * 400, n * 400 + 400):
        number = with_id_check_character(f"{county}{date(1960, 1, 1) + timedelta(days=day):%Y%m%d}{last_four[:3]}")
        if number.endswith(last_four):
            return number
    raise AssertionError(f"no number ending in {last_four}")


def test_the_last_four_find_the_persons_whose_number_ends_in_them_then_those_whose_number_starts_so(clerk):
    # Every number here starts with 3209 (county 320911); two of them end in 3209 too.
    wang = person(0, "王芳", id_number=ending_in(1, "3209"))
    li = person(0, "李四", id_number=ending_in(2, "3209"))
    others = [person(n, name) for n, name in enumerate(["张三", "赵六", "孙七"], start=1)]
    found = list(search_persons(user=clerk, query="3209"))
    assert found[:2] == sorted([wang, li], key=lambda p: (p.name, p.pk))  # ending in it, by name
    assert found[2:] == sorted(others, key=lambda p: p.id_number)  # then starting with it, each person once


def test_a_check_character_x_is_one_of_the_last_four_in_either_case(clerk):
    number = next(id_number(n) for n in range(100, 400) if id_number(n).endswith("X"))
    target = person(0, "李四", id_number=number)
    assert list(search_persons(user=clerk, query=number[-4:].lower())) == [target]


@pytest.mark.parametrize("template", ["{name} {last}", "{last} {name}", "{name}{last}", "{last}{name}"])
def test_the_last_four_with_a_name_find_only_that_person(clerk, template):
    last = "1234"
    wang_fang = person(0, "王芳", id_number=ending_in(1, last))
    person(0, "李四", id_number=ending_in(2, last))  # the same last four, another name
    person(0, "王芳", id_number=ending_in(3, "5678"))  # the same name, other digits
    assert list(search_persons(user=clerk, query=template.format(name="王芳", last=last))) == [wang_fang]
    assert list(search_persons(user=clerk, query=template.format(name="芳", last=last))) == [wang_fang]


def test_the_last_four_with_pinyin_initials(clerk):
    wang_fang = person(0, "王芳", id_number=ending_in(1, "1234"))
    person(0, "李四", id_number=ending_in(2, "1234"))
    assert list(search_persons(user=clerk, query="wf 1234")) == [wang_fang]


def test_a_whole_number_with_a_name_must_agree_with_it(clerk):
    target = person(1, "王芳")
    assert list(search_persons(user=clerk, query=f"王芳 {target.id_number}")) == [target]
    assert list(search_persons(user=clerk, query=f"李四 {target.id_number}")) == []


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
    assert target in list(search_persons(user=clerk, query=target.id_number[-4:]))  # shown by the mask anyway
    assert list(search_persons(user=reviewer, query=partial)) == [target]  # may see full numbers


@pytest.mark.parametrize("fragment", [slice(-5, None), slice(-8, None), slice(2, 8)])
def test_a_longer_fragment_with_a_name_is_no_way_round_the_mask(clerk, reviewer, fragment):
    target = person(1, "张三")
    text = f"张三 {target.id_number[fragment]}"
    assert list(search_persons(user=clerk, query=text)) == []
    assert list(search_persons(user=reviewer, query=text)) == []  # with a name: last four or the whole number


# --- employers -----------------------------------------------------------------------------------------

@pytest.fixture
def employers():
    return {name: EmployerFactory(name=name) for name in
            ["示范市泰和东方科技有限公司", "示范市东方泰和商贸有限公司", "示范市华信科技有限公司", "泰和物流有限公司"]}


@pytest.mark.parametrize("text, expected", [
    ("泰和东方", {"示范市泰和东方科技有限公司"}),
    ("泰和", {"示范市泰和东方科技有限公司", "示范市东方泰和商贸有限公司", "泰和物流有限公司"}),
    ("东方", {"示范市泰和东方科技有限公司", "示范市东方泰和商贸有限公司"}),
    ("科技有限", {"示范市泰和东方科技有限公司", "示范市华信科技有限公司"}),
    ("信", {"示范市华信科技有限公司"}),
    ("东方泰和东方", set()),
])
def test_employers_are_found_by_any_part_of_the_name(clerk, employers, text, expected):
    found = list(search_employers(employers_visible_to(clerk), text))
    assert {e.name for e in found} == expected
    assert [e.name.encode() for e in found] == sorted(e.name.encode() for e in found)  # in name order


def test_employers_are_found_by_any_part_of_the_credit_code_in_either_case(clerk, employers):
    target = employers["示范市华信科技有限公司"]
    for fragment in (target.uscc[:6], target.uscc[5:11], target.uscc[-4:], target.uscc[7:12].lower(), target.uscc,
                     target.uscc[3:5]):
        found = list(search_employers(employers_visible_to(clerk), fragment))
        assert target in found, fragment
        assert all(fragment.upper() in e.uscc or fragment in e.name for e in found)


def test_a_common_part_lists_the_first_matches_found_and_says_so(clerk, client_for, employers, monkeypatch):
    from enrollment.selectors import register

    monkeypatch.setattr(register, "EMPLOYERS_LISTED", 2)
    found = list(search_employers(employers_visible_to(clerk), "有限公司"))
    assert len(found) == 3  # the cap and one more, to know there are more
    response = client_for(clerk).get(reverse("enrollment:employer_list"), {"q": "有限公司"})
    assert response.context["capped"]
    assert 'role="status"' in response.content.decode()
    response = client_for(clerk).get(reverse("enrollment:employer_list"), {"q": "泰和东方"})
    assert not response.context["capped"]


def test_an_employer_part_is_looked_up_in_the_grams_index(clerk, employers):
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
    assert "Bitmap Index Scan on employer_search_grams_idx" in search_employers(Employer.objects.all(), "泰和东方").explain()
    target = employers["示范市华信科技有限公司"]
    assert "Bitmap Index Scan on employer_search_grams_idx" in search_employers(
        Employer.objects.all(), target.uscc[4:12]).explain()


def test_an_employers_grams_hold_the_names_pairs_and_the_codes_runs_of_three(employers):
    employer = Employer.objects.get(name="泰和物流有限公司")
    assert {"泰", "泰和", "和物", "司"} <= set(employer.search_grams)
    assert {employer.uscc[i:i + 3] for i in range(16)} <= set(employer.search_grams)
    assert employer.uscc[:2] not in employer.search_grams  # pairs of a code are not kept



@pytest.mark.parametrize("text, kind, words", [
    ("王", "name", "Names starting with “王”, then the names that have it further on"),
    ("1234", "last_four", "Identity numbers ending in “1234”, then those starting with it"),
    ("王 1234", "last_four", "Identity numbers ending in “1234”, with “王” in the name"),
    ("zs 1234", "last_four", "Identity numbers ending in “1234”, with pinyin initials starting with “zs”"),
    ("zs", "initials", "Pinyin initials starting with “zs”"),
    ("3209", "last_four", "Identity numbers ending in “3209”, then those starting with it"),
])
def test_the_page_says_what_kind_of_search_it_did(clerk, client_for, english_pages, text, kind, words):
    html = client_for(clerk).get(reverse("enrollment:person_search"), {"q": text}).content.decode()
    assert f'id="search-kind" data-kind="{kind}">{words}</p>' in html


def test_the_page_says_how_to_search_with_a_name_and_digits(clerk, client_for, english_pages):
    html = client_for(clerk).get(reverse("enrollment:person_search"), {"q": "王 12345"}).content.decode()
    assert "With a name, type the last four characters of the identity number or the whole number" in html
