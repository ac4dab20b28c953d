"""core.kinds.KindRegistry: exactly one declaration per kind, in the choices' order, and no default
for a kind it does not have."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from core.kinds import KindRegistry, UnknownKind


class Colour(models.TextChoices):
    RED = "RED", "red"
    GREEN = "GREEN", "green"
    BLUE = "BLUE", "blue"


@dataclass(frozen=True)
class Paint:
    kind: str
    price: int


PAINTS = [Paint(Colour.BLUE, 3), Paint(Colour.RED, 1), Paint(Colour.GREEN, 2)]


def test_the_registry_holds_one_declaration_per_kind_in_the_choices_order():
    registry = KindRegistry("paints", Colour, PAINTS)
    assert list(registry) == ["RED", "GREEN", "BLUE"]
    assert [p.price for p in registry.values()] == [1, 2, 3]
    assert registry[Colour.GREEN].price == 2 and registry["GREEN"] is registry[Colour.GREEN]
    assert len(registry) == 3 and Colour.RED in registry


@pytest.mark.parametrize("declarations, message", [
    (PAINTS[:2], "no declaration for GREEN"),
    ([*PAINTS, Paint(Colour.RED, 9)], "'RED' is declared twice"),
    ([*PAINTS, Paint("PURPLE", 9)], "'PURPLE' is not one of Colour's kinds"),
])
def test_a_missing_doubled_or_foreign_declaration_is_refused_when_built(declarations, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        KindRegistry("paints", Colour, declarations)


def test_an_unknown_kind_raises_and_has_no_default():
    registry = KindRegistry("paints", Colour, PAINTS)
    with pytest.raises(UnknownKind, match="paints: unknown kind 'PURPLE'; the kinds are RED, GREEN, BLUE"):
        registry["PURPLE"]
    with pytest.raises(UnknownKind):
        registry.get("PURPLE", PAINTS[0])  # no silent fallback through Mapping.get either
    with pytest.raises(UnknownKind):
        registry[None]
    assert "PURPLE" not in registry and None not in registry and [] not in registry


def test_core_kinds_names_no_app():
    import ast
    from pathlib import Path

    import core.kinds

    tree = ast.parse(Path(core.kinds.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    apps = ("enrollment", "eligibility", "settlement", "disputes", "supervision")
    assert not [m for m in imported if m.split(".")[0] in apps]
