"""What the apps contribute to the kernel: menu entries, home-page panels, role grants, demo data.

core names no app. Each app declares what it contributes as attributes of its AppConfig, and core
reads them from every installed app, in INSTALLED_APPS order (core's own first):

    class EnrollmentConfig(AppConfig):
        name = "enrollment"
        nav_entries = [NavEntry(_("Persons"), "enrollment:person_search", ENROLLMENT_STAFF)]
        home_panels = [HomePanel("enrollment/_home_panel.html", ENROLLMENT_STAFF, "enrollment.selectors.home_summary")]
        role_permissions = {Role.REVIEWER: ["enrollment.view_full_id_number"]}
        demo_seed = "enrollment.seed.seed_enrollment"
        audit_text = "enrollment.audit_text.AUDIT_TEXT"

- `nav_entries`: the menu; an entry shows to the roles listed (None: to every signed-in user) when
  its URL name resolves. Entries come in INSTALLED_APPS order, those with a higher `order` after
  (core's "Administration" comes last).
- `home_panels`: blocks of the home page. `data` names a function (user) -> dict | None, called
  only for users holding one of the roles; None hides the panel. The template gets it as `data`.
- `role_permissions`: model permissions ("app_label.codename") that each role's group holds; the
  union over the apps is what `core.roles.sync_roles` gives the groups.
- `demo_seed`: a function called by `seed_demo` with the keyword `persons` (the demo's size) that
  loads the app's demo data idempotently and returns a one-line summary.
- `audit_text`: the dotted path of a `core.timeline.AuditText`: how the app's audit actions read on
  a page (a sentence per action code, labels of the keys its entries keep, masking). Timelines
  (core.timeline.object_timeline) read every app's.

apps.py is imported before the models are ready, so functions are named by dotted path and
imported when first used; role sets used there live in modules that import no models.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: Sequence[str] | None = None
    order: int = 0  # entries with a higher order come after the others


@dataclass(frozen=True)
class HomePanel:
    template: str
    roles: Sequence[str]
    data: str | None = None  # dotted path of a function (user) -> dict | None


CONTRIBUTIONS = ("nav_entries", "home_panels", "role_permissions", "demo_seed", "audit_text")


def contributions(attribute: str) -> Iterator[tuple[AppConfig, object]]:
    """(app config, value) for every installed app that declares `attribute`, in INSTALLED_APPS order."""
    if attribute not in CONTRIBUTIONS:
        raise ValueError(f"unknown contribution {attribute!r}")
    for config in apps.get_app_configs():
        value = getattr(config, attribute, None)
        if value:
            yield config, value


def navigation() -> list[NavEntry]:
    entries = [entry for _config, entries in contributions("nav_entries") for entry in entries]
    return sorted(entries, key=lambda entry: entry.order)  # stable: INSTALLED_APPS order within an order


def home_panels() -> list[HomePanel]:
    return [panel for _config, panels in contributions("home_panels") for panel in panels]


def role_permissions() -> dict[str, set[str]]:
    """Role name -> the dotted model permissions every app grants it."""
    out: dict[str, set[str]] = {}
    for _config, grants in contributions("role_permissions"):
        for role, perms in grants.items():
            out.setdefault(str(role), set()).update(perms)
    return out


def demo_seeders() -> list[tuple[str, Callable[..., str]]]:
    """(app label, seeding function) for every app with demo data."""
    return [(config.label, import_string(path)) for config, path in contributions("demo_seed")]


def audit_texts() -> list:
    """Every app's core.timeline.AuditText, core's first."""
    return [import_string(path) for _config, path in contributions("audit_text")]


def resolve(path: str | None) -> Callable | None:
    return import_string(path) if path else None
