"""Writes only in services: the audit trail's writers (core.audit.record and record_many) are called
from a `services` module or package, or from core's own machinery (core.workflow, letters), and
from nowhere else: not from views, tasks, commands, engines or admin code. A static scan of the
project's modules, so that a new caller outside a service fails here before review."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", ".data", ".git", "tests", "bench", "migrations", "node_modules", "staticfiles", "media", "locale"}
WRITERS = {"record", "record_many"}


def project_modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(ROOT).parts))


def may_write_audit(relative: Path) -> bool:
    parts = relative.with_suffix("").parts
    return parts[0] == "core" or "services" in parts


def _audit_module(node: ast.ImportFrom, path: Path) -> bool:
    """Whether `from X import ...` names core.audit (absolutely, or relatively from inside core)."""
    if node.level == 0:
        return node.module == "core.audit"
    package = path.relative_to(ROOT).parts[:-1]
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    target = [*base, *(node.module.split(".") if node.module else [])]
    return target == ["core", "audit"]


def audit_writes(source: str, path: Path) -> list[tuple[int, str]]:
    """(line, what) for each import of the writers, or of core.audit itself, and each call of them."""
    found: list[tuple[int, str]] = []
    writer_names, module_names = set(), set()
    tree = ast.parse(source, filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if _audit_module(node, path):
                for alias in node.names:
                    if alias.name in WRITERS:
                        writer_names.add(alias.asname or alias.name)
                        found.append((node.lineno, f"imports {alias.name}"))
            elif (node.module == "core" and node.level == 0) or (node.level == 1 and not node.module
                                                                  and path.parent.name == "core"):
                for alias in node.names:
                    if alias.name == "audit":
                        module_names.add(alias.asname or "audit")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "core.audit":
                    module_names.add(alias.asname or "core")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in writer_names:
            found.append((node.lineno, f"calls {func.id}()"))
        elif isinstance(func, ast.Attribute) and func.attr in WRITERS:
            owner = func.value
            if (isinstance(owner, ast.Name) and owner.id in module_names) or (
                    isinstance(owner, ast.Attribute) and owner.attr == "audit"):
                found.append((node.lineno, f"calls {ast.unparse(func)}()"))
    return found


def test_the_audit_trail_is_written_only_from_services_and_core():
    offenders = []
    for path in project_modules():
        relative = path.relative_to(ROOT)
        if may_write_audit(relative):
            continue
        for line, what in audit_writes(path.read_text(encoding="utf-8"), path):
            offenders.append(f"{relative}:{line} {what}")
    assert offenders == [], "write the audit entry in a service:\n" + "\n".join(offenders)


def test_the_scan_finds_each_way_of_reaching_the_writers():
    path = ROOT / "enrollment" / "views" / "example.py"
    sources = [
        "from core.audit import record\nrecord(None, 'x', None)\n",
        "from core.audit import record_many as many\nmany(None, 'x', [])\n",
        "from core import audit\naudit.record(None, 'x', None)\n",
        "import core.audit\ncore.audit.record_many(None, 'x', [])\n",
    ]
    for source in sources:
        assert any(what.startswith("calls") for _line, what in audit_writes(source, path)), source
    assert audit_writes("from core.errors import Conflict\nrecord = print\nrecord('x')\n", path) == []
    assert not may_write_audit(Path("enrollment/views/reconciliation.py"))
    assert not may_write_audit(Path("enrollment/reconciliation/engine.py"))
    assert may_write_audit(Path("enrollment/services/reconciliation/night.py"))
    assert may_write_audit(Path("supervision/services.py"))
    assert may_write_audit(Path("core/workflow.py"))
