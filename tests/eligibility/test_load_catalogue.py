"""`load_catalogue`: all or nothing, every invalid row listed (one test per reason), idempotent."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry
from eligibility.models import CatalogueItem

from .files import CATALOGUE_HEADER, item, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def load(path) -> list[str]:
    out = StringIO()
    call_command("load_catalogue", "--file", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def refused(path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded|header|UTF-8|no data"):
        call_command("load_catalogue", "--file", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def snapshot():
    return list(CatalogueItem.objects.order_by("item_code", "effective_from").values_list(
        "item_code", "name", "category", "pay_class", "price_cap", "sex_limit", "age_min", "age_max", "max_per_day",
        "max_per_claim", "indications", "effective_from", "effective_to"))


def test_a_file_loads_with_every_column_and_loading_it_again_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, [
        item("XA01", indications="e10; E11;;E14", age_min="18", age_max="65", max_per_claim="30"),
        item("XB02", name="前列腺特异抗原", category="service", pay_class="B", price_cap="", sex_limit="M",
             effective_to="2026-12-31"),
    ])
    assert load(path) == ["CREATED: 2", "UPDATED: 0", "UNCHANGED: 0", "ITEMS: 2"]
    first = snapshot()
    assert load(path) == ["CREATED: 0", "UPDATED: 0", "UNCHANGED: 2", "ITEMS: 2"]
    assert snapshot() == first
    xa = CatalogueItem.objects.get(item_code="XA01")
    assert xa.indications == ["E10", "E11", "E14"]
    assert (xa.price_cap, xa.max_per_day, xa.age_min, xa.age_max) == (Decimal("12.5"), Decimal(6), 18, 65)
    xb = CatalogueItem.objects.get(item_code="XB02")
    assert (xb.category, xb.pay_class, xb.price_cap, xb.sex_limit, xb.effective_to) == (
        "SERVICE", "B", None, "M", date(2026, 12, 31))
    assert AuditEntry.objects.filter(action="eligibility.catalogue.loaded").count() == 2


def test_the_indications_column_may_be_left_out(tmp_path):
    header = tuple(c for c in CATALOGUE_HEADER if c != "indications")
    assert load(write_csv(tmp_path / "c.csv", header, [item()]))[0] == "CREATED: 1"
    assert CatalogueItem.objects.get().indications == []


def test_a_changed_row_updates_its_entry_and_a_new_version_closes_the_old(tmp_path):
    load(write_csv(tmp_path / "1.csv", CATALOGUE_HEADER, [item(), item("XB02")]))
    second = write_csv(tmp_path / "2.csv", CATALOGUE_HEADER, [
        item(effective_to="2025-12-31"), item(price_cap="10.00", effective_from="2026-01-01"),
    ])
    assert load(second) == ["CREATED: 1", "UPDATED: 1", "UNCHANGED: 0", "ITEMS: 3"]
    caps = list(CatalogueItem.objects.filter(item_code="XA01").order_by("effective_from")
                .values_list("effective_to", "price_cap"))
    assert caps == [(date(2025, 12, 31), Decimal("12.5")), (None, Decimal("10"))]
    assert CatalogueItem.objects.filter(item_code="XB02").exists()  # not in the file: left as it is


def _one_problem(tmp_path, expected: str, **values):
    load(write_csv(tmp_path / "ok.csv", CATALOGUE_HEADER, [item("XZ99")]))
    before = snapshot()
    rows = [item("XA01"), item("XC03", **values)]
    assert refused(write_csv(tmp_path / "bad.csv", CATALOGUE_HEADER, rows)) == [expected]
    assert snapshot() == before  # nothing loaded, not even the good line 2


@pytest.mark.parametrize(("values", "expected"), [
    ({"item_code": " "}, "line 3, column item_code: the item code is empty"),
    ({"item_code": "X" * 51}, "line 3, column item_code: the item code is longer than 50 characters"),
    ({"name": ""}, "line 3, column name: the name is empty"),
    ({"name": "名" * 201}, "line 3, column name: the name is longer than 200 characters"),
    ({"category": "FOOD"}, "line 3, column category: the category is not DRUG, SERVICE, MATERIAL or BED"),
    ({"pay_class": "D"}, "line 3, column pay_class: the class is not A, B or C"),
    ({"price_cap": "12,50"}, "line 3, column price_cap: not empty or a decimal of at most 10 digits and 4 places"),
    ({"price_cap": "-1"}, "line 3, column price_cap: not empty or a decimal of at most 10 digits and 4 places"),
    ({"sex_limit": "X"}, "line 3, column sex_limit: the sex limit is not M, F or empty"),
    ({"age_min": "1.5"}, "line 3, column age_min: not empty or whole years from 0 to 150"),
    ({"age_max": "200"}, "line 3, column age_max: not empty or whole years from 0 to 150"),
    ({"age_min": "18", "age_max": "12"}, "line 3, column age_max: age_max is below age_min"),
    ({"max_per_day": "0"}, "line 3, column max_per_day: not empty or a number of units above 0 (at most 3 places)"),
    ({"max_per_claim": "x"},
     "line 3, column max_per_claim: not empty or a number of units above 0 (at most 3 places)"),
    ({"indications": "E10;E1X"},
     "line 3, column indications: each indication must be an ICD-10 prefix: a letter and up to two digits"),
    ({"indications": "E101"},
     "line 3, column indications: each indication must be an ICD-10 prefix: a letter and up to two digits"),
    ({"effective_from": "2024-02-30"}, "line 3, column effective_from: not a real YYYY-MM-DD date"),
    ({"effective_from": ""}, "line 3, column effective_from: not a real YYYY-MM-DD date"),
    ({"effective_to": "2024/12/31"}, "line 3, column effective_to: not empty or a real YYYY-MM-DD date"),
    ({"effective_to": "2023-12-31"}, "line 3, column effective_to: effective_to is before effective_from"),
])
def test_each_invalid_value_refuses_the_file(tmp_path, values, expected):
    _one_problem(tmp_path, expected, **values)


def test_the_same_item_and_date_twice_refuses_the_file(tmp_path):
    rows = [item(), item(name="另一个")]
    assert refused(write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows)) == [
        "line 3, column effective_from: the same item_code and effective_from as line 2"]


def test_periods_of_one_item_that_overlap_in_the_file_refuse_it(tmp_path):
    rows = [item(effective_to="2025-06-30"), item(effective_from="2025-06-30")]
    assert refused(write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows)) == [
        "line 3, column effective_from: the item's period overlaps its period on line 2"]


def test_a_period_overlapping_an_entry_the_file_does_not_replace_refuses_it(tmp_path):
    load(write_csv(tmp_path / "1.csv", CATALOGUE_HEADER, [item()]))
    rows = [item(effective_from="2025-01-01")]
    assert refused(write_csv(tmp_path / "2.csv", CATALOGUE_HEADER, rows)) == [
        "line 2, column effective_from: the item's period overlaps its entry from 2024-01-01 already in the "
        "catalogue, which this file does not replace"]


def test_a_row_with_the_wrong_number_of_columns_refuses_the_file(tmp_path):
    path = tmp_path / "c.csv"
    write_csv(path, CATALOGUE_HEADER, [item()])
    with open(path, "a", encoding="utf-8") as f:
        f.write("XB02,名称,DRUG\n")
    assert refused(path) == ["line 3, row: wrong number of columns"]


def test_every_bad_row_is_listed_in_line_order(tmp_path):
    rows = [item("XA01", category="?"), item("XB02"), item("XC03", pay_class="?", effective_from="x")]
    assert refused(write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, rows)) == [
        "line 2, column category: the category is not DRUG, SERVICE, MATERIAL or BED",
        "line 4, column pay_class: the class is not A, B or C",
        "line 4, column effective_from: not a real YYYY-MM-DD date",
    ]
    assert not CatalogueItem.objects.exists()


def test_a_header_without_a_required_column_is_refused(tmp_path):
    header = tuple(c for c in CATALOGUE_HEADER if c != "pay_class")
    with pytest.raises(CommandError, match="missing: pay_class"):
        call_command("load_catalogue", "--file", str(write_csv(tmp_path / "c.csv", header, [item()])),
                     stdout=StringIO(), stderr=StringIO())


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(",".join(CATALOGUE_HEADER).encode() + b"\nXA01,\xb0\xa2\xc4\xaa,DRUG\n")
    with pytest.raises(CommandError, match="not valid UTF-8"):
        call_command("load_catalogue", "--file", str(path), stdout=StringIO(), stderr=StringIO())


def test_a_file_with_a_bom_loads(tmp_path):
    path = write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, [item()])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load(path)[0] == "CREATED: 1"


def test_a_nul_byte_refuses_the_file_with_its_line(tmp_path):
    path = write_csv(tmp_path / "c.csv", CATALOGUE_HEADER, [item()])
    path.write_bytes(path.read_bytes() + b"XB02,\x00,DRUG\n")
    with pytest.raises(CommandError, match="Line 3 holds a NUL byte"):
        call_command("load_catalogue", "--file", str(path), stdout=StringIO(), stderr=StringIO())
