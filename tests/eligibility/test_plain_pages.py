"""The reference pages read as plain sentences: names headed as names (not a person's 姓名), ages as
ranges in words, money with its cents, policy figures labelled with their units, hospital levels as words."""

import re
from datetime import date

import pytest
from django.urls import reverse

from core.money import institution_text, level_text, money_text
from eligibility.models import CatalogueItem
from tests.plain_text import visible_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english_pages")]


def words(html: str) -> str:
    return " ".join(visible_text(html).split())


def _item(code, **values):
    return CatalogueItem.objects.create(item_code=code, name=f"项目{code}", category="SERVICE", pay_class="A",
                                        effective_from=date(2024, 1, 1), **values)


def _row(page: str, code: str) -> str:
    return words(re.search(rf"<tr>\s*<td><code>{code}</code>.*?</tr>", page, re.S).group(0))


def test_money_shows_its_cents_and_keeps_places_that_count():
    assert [money_text(v) for v in ("10.0000", "0.4500", "0.1234", "12.3450", "7000", None)] == [
        "10.00", "0.45", "0.1234", "12.345", "7000.00", ""]


def test_the_catalogue_heads_the_name_column_as_an_items_name_and_words_ages_and_prices(client_for, clerk):
    _item("OVER40", price_cap="10", age_min=40)
    _item("UNDER18", price_cap="0.1234", age_max=18)
    _item("TEENS", price_cap="0.45", age_min=12, age_max=17)
    _item("NEWBORN", age_min=0, age_max=0)
    page = client_for(clerk).get(reverse("eligibility:catalogue")).content.decode()
    header = words(re.search(r"<thead>.*?</thead>", page, re.S).group(0))
    assert "Item name" in header and " Name " not in f" {header} "
    assert "10.00" in _row(page, "OVER40") and "Aged 40 and over" in _row(page, "OVER40")
    assert "0.1234" in _row(page, "UNDER18") and "Aged 18 or under" in _row(page, "UNDER18")
    assert "0.45" in _row(page, "TEENS") and "Aged 12 to 17" in _row(page, "TEENS")
    assert "Aged 0 only" in _row(page, "NEWBORN") and "no cap" in _row(page, "NEWBORN")
    assert "0000" not in words(page) and "–—" not in page


def test_the_employer_list_heads_the_name_column_as_an_employers_name(client_for, clerk, employer):
    page = client_for(clerk).get(reverse("enrollment:employer_list")).content.decode()
    header = words(re.search(r"<thead>.*?</thead>", page, re.S).group(0))
    assert header.startswith("Employer name") and employer.name in page


def test_hospital_levels_are_words():
    assert [level_text(n) for n in (1, 2, 3)] == ["level 1", "level 2", "level 3"]
    assert institution_text(3) == "level 3 institution" and institution_text(None) == "None"


def test_the_policies_page_labels_every_figure_with_its_unit(client_for, clerk):
    text = words(client_for(clerk).get(reverse("eligibility:policies")).content.decode())
    assert "Annual fund cap 300000.00 yuan" in text
    assert "Large-expense tier ratio 90.00% · annual cap 400000.00 yuan" in text
    assert "Out of area with a referral fund ratio 5 percentage points lower" in text
    assert "Out of area without a referral (level 2, 3) fund ratio 10 percentage points lower" in text
    assert "Out of area without a referral (other) fund ratio 0.00%" in text
    assert "Inpatient (住院) · level 1 institution deductible 300.00 yuan · fund ratio 90.00%" in text
    assert "−5.00" not in text and "−10.00" not in text
