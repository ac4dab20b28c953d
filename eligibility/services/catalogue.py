"""Writes to the catalogue and the disease classes: the two loaders (all or nothing, every bad
row listed, the same file twice leaves the same data), each with its audit entry in the same
transaction. An administrator's single edits go through the audited admin (core.admin.AuditedAdmin)."""

from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.audit import record
from core.locks import xact_lock

from ..loading import catalogue as sql
from ..loading.files import FileRejected, stage_csv
from ..models import DiseaseClass

CATALOGUE_LOCK = "eligibility.catalogue.load"
DISEASES_LOCK = "eligibility.diseases.load"


@dataclass
class CatalogueLoad:
    created: int
    updated: int
    unchanged: int
    items: int
    sha256: str


def _errors(rows, messages: dict) -> list[dict]:
    """(line, code, other) rows -> {line, column, message}, by line."""
    out = []
    for line, code, other in rows:
        column = code.split(":", 1)[0]
        message = str(messages[code]) % {"other": other} if other is not None else str(messages[code])
        out.append({"line": line, "column": "" if column == "row" else column, "message": message})
    return sorted(out, key=lambda e: e["line"])


def _refuse(errors: list[dict]) -> None:
    raise FileRejected(_("%(n)d problem(s) in the file: nothing was loaded.") % {"n": len(errors)}, errors=errors)


def load_catalogue(*, path: Path, actor=None) -> CatalogueLoad:
    """Load the catalogue file (spec/review-rules.md): each (item_code, effective_from) is created or
    updated; entries the file does not name are left as they are. Raises FileRejected."""
    path = Path(path)
    with transaction.atomic(), connection.cursor() as cur:
        xact_lock(CATALOGUE_LOCK)
        cur.execute("SET LOCAL jit = off")  # compiling the checks costs more than running them
        staged = stage_csv(cur, path, table=sql.CATALOGUE_STAGE, columns=sql.CATALOGUE_COLUMNS,
                           optional=sql.CATALOGUE_OPTIONAL)
        cur.execute(sql.catalogue_checked_sql(staged.width))
        cur.execute(sql.CATALOGUE_ROW_PROBLEMS)
        problems = cur.fetchall()
        cur.execute(sql.CATALOGUE_CROSS_CHECKS)
        problems += cur.fetchall()
        if problems:
            _refuse(_errors(problems, sql.MESSAGES))
        cur.execute(sql.CATALOGUE_UPSERT)
        created, updated = cur.fetchone()
        cur.execute("SET CONSTRAINTS catalogue_item_versions_do_not_overlap IMMEDIATE")
        cur.execute("SELECT count(*) FROM eligibility_catalogueitem")
        items = cur.fetchone()[0]
        result = CatalogueLoad(created=created, updated=updated, unchanged=staged.rows - created - updated,
                               items=items, sha256=staged.sha256)
        record(actor, "eligibility.catalogue.loaded", ("eligibility.catalogue", path.name[:64], path.name), None, {
            "file": str(path), "sha256": staged.sha256, "rows": staged.rows, "created": created,
            "updated": updated, "unchanged": result.unchanged, "items": items})
    return result


@dataclass
class DiseaseLoad:
    classes: int
    changed: bool
    sha256: str


def load_diseases(*, path: Path, actor=None) -> DiseaseLoad:
    """Replace the disease classes with the file's (all or nothing). Raises FileRejected.

    The table is rewritten only when the file says something else than it holds, so loading the
    same file again changes nothing (and writes no audit entry)."""
    path = Path(path)
    with transaction.atomic(), connection.cursor() as cur:
        xact_lock(DISEASES_LOCK)
        staged = stage_csv(cur, path, table=sql.DISEASE_STAGE, columns=sql.DISEASE_COLUMNS)
        cur.execute(sql.disease_checked_sql(staged.width))
        cur.execute(sql.DISEASE_ROW_PROBLEMS)
        problems = cur.fetchall()
        cur.execute(sql.DISEASE_CROSS_CHECKS)
        problems += cur.fetchall()
        if problems:
            _refuse(_errors(problems, sql.DISEASE_MESSAGES))
        cur.execute(sql.DISEASE_ROWS)
        wanted = [tuple(row) for row in cur.fetchall()]
        before = _disease_rows()
        changed = wanted != before
        if changed:
            DiseaseClass.objects.all().delete()
            DiseaseClass.objects.bulk_create([DiseaseClass(category_from=f, category_to=t, disease_class=c, name=n)
                                              for f, t, c, n in wanted])
            record(actor, "eligibility.disease_classes.replaced", ("eligibility.diseaseclass", "all", path.name),
                   {"classes": [list(r) for r in before]},
                   {"classes": [list(r) for r in wanted], "file": str(path), "sha256": staged.sha256})
    return DiseaseLoad(classes=len(wanted), changed=changed, sha256=staged.sha256)


def _disease_rows() -> list[tuple]:
    return [tuple(r) for r in DiseaseClass.objects.order_by("category_from")
            .values_list("category_from", "category_to", "disease_class", "name")]
