"""core is the kernel every app builds on: it imports no app and looks none up by name.

Apps contribute their menu entries, home panels, role grants and demo data (core.registry).
core/migrations/ is history and is left out: a migration names the migrations it depends on
(core 0004 took Provider over from settlement's 0001).
"""

import ast
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
TEMPLATES = ROOT / "templates" / "core"


def project_apps() -> set[str]:
    return {c.name for c in apps.get_app_configs() if Path(c.path).parent == ROOT and c.name != "core"}


def app_names_in(source: str, app_names: set[str]) -> list[str]:
    """Every import of an app, and every string that names one ("settlement", "enrollment.seed.x",
    "supervision:problem_list"): get_model, import_string, reverse and the like."""
    named = re.compile(rf"^({'|'.join(map(re.escape, sorted(app_names)))})([.:]|$)")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] in app_names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] in app_names:
                found.append(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and named.match(node.value):
            found.append(repr(node.value))
    return found


def test_the_apps_are_known():
    assert {"enrollment", "eligibility", "settlement", "disputes", "supervision"} <= project_apps()


def test_the_scan_finds_every_way_of_naming_an_app():
    source = """
import enrollment
import enrollment.models as m
from settlement.models import Provider
from supervision import services
from django.apps import apps
apps.get_model("settlement", "Provider")
apps.get_model("settlement.Provider")
import_string("disputes.services.file")
reverse("eligibility:coverage")
from .models import AuditEntry
help_text = "e.g. the enrollment of a person"
"""
    assert app_names_in(source, project_apps()) == [
        "enrollment", "enrollment.models", "settlement.models", "supervision", "'settlement'",
        "'settlement.Provider'", "'disputes.services.file'", "'eligibility:coverage'"]


def test_no_core_module_names_an_app():
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        if "migrations" in path.relative_to(CORE).parts:
            continue
        found = app_names_in(path.read_text(encoding="utf-8"), project_apps())
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert offenders == {}


def test_no_core_template_names_an_app():
    named = re.compile(rf"""["']({'|'.join(sorted(project_apps()))})[:/]""")
    offenders = {str(p.relative_to(ROOT)): named.findall(p.read_text(encoding="utf-8"))
                 for p in sorted(TEMPLATES.rglob("*.html"))}
    assert {k: v for k, v in offenders.items() if v} == {}
