"""Eligibility works on a PostgreSQL without contrib extensions (the embedded one of `make run` and
`make test` with nothing configured): its exclusion constraints compare keys as one-value ranges
(core.ranges) and the catalogue's name search uses the name's grams, not pg_trgm."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction

from eligibility.models import CatalogueItem
from eligibility.selectors.catalogue import search_catalogue

ROOT = Path(__file__).resolve().parents[2]


def _item(code, name="阿莫西林胶囊", **dates):
    dates.setdefault("effective_from", date(2026, 1, 1))
    return CatalogueItem.objects.create(item_code=code, name=name, category="DRUG", pay_class="A", **dates)


def test_no_migration_asks_for_an_extension():
    asking = [str(path.relative_to(ROOT)) for path in ROOT.glob("*/migrations/*.py")
              if any(word in path.read_text(encoding="utf-8")
                     for word in ("Extension(", "CREATE EXTENSION", "gin_trgm_ops", "gist_trgm_ops"))]
    assert asking == []


@pytest.mark.django_db(transaction=True)
def test_an_item_s_versions_may_not_overlap_but_other_items_may():
    _item("XA01", effective_to=date(2026, 6, 30))
    _item("XA02")  # another item on the same days
    _item("XA01", effective_from=date(2026, 7, 1))  # the next version, touching
    with pytest.raises(IntegrityError, match="catalogue_item_versions_do_not_overlap"), transaction.atomic():
        _item("XA01", effective_from=date(2026, 6, 30), effective_to=date(2026, 6, 30))
    with pytest.raises(IntegrityError, match="catalogue_item_versions_do_not_overlap"), transaction.atomic():
        _item("xa01".upper(), effective_from=date(2025, 1, 1), effective_to=None)
    assert CatalogueItem.objects.filter(item_code="XA01").count() == 2


@pytest.mark.django_db
def test_the_catalogue_name_is_found_by_any_part_in_any_case_through_its_grams():
    _item("XA01", "阿莫西林胶囊0.25g")
    _item("XB02", "维生素C片")
    _item("XC03", "二甲双胍片")
    codes = lambda text: [item.item_code for item in search_catalogue(text)]  # noqa: E731
    assert codes("莫西") == ["XA01"]
    assert codes("片") == ["XB02", "XC03"]
    assert codes("维生素c") == ["XB02"]
    assert codes("0.25G") == ["XA01"]
    assert codes("西林胶囊0.25g") == ["XA01"]
    assert codes("胶片") == []  # every pair, and the text itself
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search_catalogue("莫西").explain()
    assert "catalogue_name_grams_idx" in plan


def test_the_whole_schema_migrates_on_the_embedded_postgresql(tmp_path):
    """`manage.py migrate` with no DATABASE_URL, as a new user's `make run` and `make test` do:
    pgserver's PostgreSQL under DATA_DIR, which ships no contrib extension."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings")
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    check = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c",
         "from django.db import connection\n"
         "c = connection.cursor()\n"
         "c.execute('SELECT extname FROM pg_extension ORDER BY 1'); print(*[r[0] for r in c.fetchall()])\n"
         "c.execute(\"SELECT count(*) FROM pg_constraint WHERE contype = 'x'\"); print(c.fetchone()[0])"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr[-3000:]
    extensions, exclusion_constraints = check.stdout.split("\n")[:2]
    assert extensions == "plpgsql"
    assert int(exclusion_constraints) >= 2


@pytest.mark.django_db
def test_model_validation_checks_the_overlap_as_the_database_does():
    from django.core.exceptions import ValidationError

    _item("XA01", effective_to=date(2026, 6, 30))
    CatalogueItem(item_code="XA01", name="x", category="DRUG", pay_class="A",
                  effective_from=date(2026, 7, 1)).validate_constraints()
    CatalogueItem(item_code="XA02", name="x", category="DRUG", pay_class="A",
                  effective_from=date(2026, 1, 1)).validate_constraints()
    with pytest.raises(ValidationError):
        CatalogueItem(item_code="XA01", name="x", category="DRUG", pay_class="A",
                      effective_from=date(2026, 6, 1)).validate_constraints()
