"""Disease classes: seeded by migration, replaced whole by `load_diseases` (all or nothing)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEntry
from eligibility.models import DiseaseClass

from .files import write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HEADER = ("category_from", "category_to", "disease_class", "name")


def rows():
    return list(DiseaseClass.objects.order_by("category_from").values_list(
        "category_from", "category_to", "disease_class", "name"))


def load(path) -> list[str]:
    out = StringIO()
    call_command("load_diseases", "--file", str(path), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def refused(path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_diseases", "--file", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_the_spec_defaults_are_there_after_migrate():
    assert len(rows()) == 12
    assert ("E10", "E14", "SPECIFIED", "糖尿病") in rows()
    assert ("N18", "N18", "CHRONIC", "慢性肾脏病") in rows()


def test_a_file_replaces_the_whole_table_and_the_same_file_again_changes_nothing(tmp_path):
    path = write_csv(tmp_path / "d.csv", HEADER, [("e10", "E14", "specified", "糖尿病"), ("I10", "I15", "CHRONIC", "高血压")])
    assert load(path) == ["CLASSES: 2", "CHANGED: yes"]
    assert rows() == [("E10", "E14", "SPECIFIED", "糖尿病"), ("I10", "I15", "CHRONIC", "高血压")]
    ids = list(DiseaseClass.objects.values_list("id", flat=True))
    entries = AuditEntry.objects.filter(action="eligibility.disease_classes.replaced").count()
    assert load(path) == ["CLASSES: 2", "CHANGED: no"]
    assert list(DiseaseClass.objects.values_list("id", flat=True)) == ids
    assert AuditEntry.objects.filter(action="eligibility.disease_classes.replaced").count() == entries == 1


@pytest.mark.parametrize(("row", "expected"), [
    (("E1", "E14", "SPECIFIED", "x"), "line 3, column category_from: not a letter and two digits"),
    (("E10", "14", "SPECIFIED", "x"), "line 3, column category_to: not a letter and two digits"),
    (("E14", "E10", "SPECIFIED", "x"), "line 3, column category_from: category_from comes after category_to"),
    (("E10", "E14", "ACUTE", "x"), "line 3, column disease_class: the disease class is not SPECIFIED or CHRONIC"),
    (("E10", "E14", "SPECIFIED", " "), "line 3, column name: the name is empty"),
    (("B18", "B20", "CHRONIC", "x"), "line 3, column category_from: the range shares a category with the range on "
                                      "line 2"),
])
def test_each_reason_refuses_the_whole_file(tmp_path, row, expected):
    before = rows()
    path = write_csv(tmp_path / "d.csv", HEADER, [("B15", "B19", "SPECIFIED", "病毒性肝炎"), row])
    assert refused(path) == [expected]
    assert rows() == before


def test_a_range_sharing_only_its_last_category_is_refused(tmp_path):
    path = write_csv(tmp_path / "d.csv", HEADER, [("J44", "J45", "CHRONIC", "a"), ("A10", "J44", "CHRONIC", "b")])
    assert refused(path) == ["line 3, column category_from: the range shares a category with the range on line 2"]
