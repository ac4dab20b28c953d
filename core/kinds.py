"""Per-kind behaviour as one declaration per kind, read through one registry.

A model whose behaviour depends on its `kind` (a TextChoices field) declares each kind once, as an
instance of a frozen dataclass with a `kind` attribute holding everything that kind does
differently, and collects them in a KindRegistry:

    KINDS = KindRegistry("application kinds", Application.Kind, [employer_registration.SPEC, ...])
    KINDS[app.kind].time_limit

Code reads the declaration instead of asking which kind it has: no if/elif chain over kinds, no
dict per aspect. The registry refuses, when it is built (at import), a kind without a declaration,
a kind declared twice and a declaration of a kind the choices do not have; looking up a kind it
does not have raises UnknownKind (there is no default, and `get` raises too).
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models


class Declaration(Protocol):
    kind: str


D = TypeVar("D", bound=Declaration)


class UnknownKind(LookupError):
    """A kind with no declaration was looked up: a programming error or a corrupt row. Forms and
    serializers check a user's kind against the choices before anything looks it up."""


class KindRegistry(Mapping[str, D]):
    """The declarations of every kind of `choices`, exactly one each, in the choices' order."""

    def __init__(self, name: str, choices: type[models.TextChoices], declarations: Iterable[D]):
        self.name = name
        found: dict[str, D] = {}
        for declaration in declarations:
            kind = str(declaration.kind)
            if kind not in choices.values:
                raise ImproperlyConfigured(f"{name}: {kind!r} is not one of {choices.__qualname__}'s kinds.")
            if kind in found:
                raise ImproperlyConfigured(f"{name}: the kind {kind!r} is declared twice.")
            found[kind] = declaration
        missing = [kind for kind in choices.values if kind not in found]
        if missing:
            raise ImproperlyConfigured(f"{name}: no declaration for {', '.join(missing)}.")
        self._by_kind = {kind: found[kind] for kind in choices.values}

    def __getitem__(self, kind: str) -> D:
        try:
            return self._by_kind[kind]
        except (KeyError, TypeError):
            shown = str(kind) if isinstance(kind, str) else kind
            raise UnknownKind(f"{self.name}: unknown kind {shown!r}; the kinds are "
                              f"{', '.join(self._by_kind)}.") from None

    def __contains__(self, kind: object) -> bool:
        try:
            return kind in self._by_kind
        except TypeError:  # an unhashable value is no kind
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_kind)

    def __len__(self) -> int:
        return len(self._by_kind)

    def __repr__(self) -> str:
        return f"<KindRegistry {self.name}: {', '.join(self._by_kind)}>"
