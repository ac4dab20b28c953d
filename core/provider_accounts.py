"""Providers from the office's file, and each provider's API user and token
(spec/review-rules.md: `load_providers`, `create_api_token`).

Providers are core's (the unit of per-provider access), so these writes live here beside
core.providers' grants. A provider user belongs to exactly one provider: what it uploads is that
provider's.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from rest_framework.authtoken.models import Token

from .audit import record, record_many
from .errors import Conflict, NotFound, ValidationFailed
from .locks import xact_lock
from .models import Provider
from .providers import PERMISSION, grant_provider_access
from .roles import Role, roles_of, sync_roles

COLUMNS = ("provider_code", "name", "level", "area", "active")
FIELDS = ("name", "level", "area", "active")


class ProviderFileRejected(ValidationFailed):
    code = "file_rejected"


@dataclass
class ProviderLoad:
    created: int
    updated: int
    unchanged: int
    providers: int


def _read(path: Path) -> list[tuple[int, list[str]]]:
    path = Path(path)
    if not path.is_file():
        raise ProviderFileRejected(_("The file %(path)s does not exist.") % {"path": path})
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProviderFileRejected(_("The file is not valid UTF-8 text."))
    if "\x00" in text:
        raise ProviderFileRejected(_("Line %(line)d holds a NUL byte: this is not a CSV text file.")
                                   % {"line": text.count("\n", 0, text.index("\x00")) + 1})
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 0
    try:
        header = [c.strip().lower() for c in next(reader, [])]
        if sorted(header) != sorted(COLUMNS):
            raise ProviderFileRejected(_("The header row must name the columns %(expected)s.")
                                       % {"expected": ",".join(COLUMNS)})
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if row and any(v.strip() for v in row):
                rows.append((start, [v.strip() for v in row] if len(row) == len(header) else None))
    except csv.Error as exc:
        raise ProviderFileRejected(_("Line %(line)d cannot be read as CSV: %(error)s") % {
            "line": reader.line_num, "error": exc})
    order = [header.index(c) for c in COLUMNS]
    return [(n, None if row is None else [row[i] for i in order]) for n, row in rows]


def _check(rows) -> tuple[dict, list[dict]]:
    """{code: values} of the valid rows, and every problem (line, column, message)."""
    wanted, first_line, errors = {}, {}, []

    def problem(line, column, message):
        errors.append({"line": line, "column": column, "message": message})

    for line, row in rows:
        if row is None:
            problem(line, "", _("wrong number of columns"))
            continue
        code, name, level, area, active = row
        before = len(errors)
        if not code:
            problem(line, "provider_code", _("the provider code is empty"))
        elif len(code) > 30:
            problem(line, "provider_code", _("the provider code is longer than 30 characters"))
        elif code in first_line:
            problem(line, "provider_code", _("the same provider_code as line %(other)s") % {"other": first_line[code]})
        if not name:
            problem(line, "name", _("the name is empty"))
        elif len(name) > 200:
            problem(line, "name", _("the name is longer than 200 characters"))
        if level not in ("1", "2", "3"):
            problem(line, "level", _("the level is not 1, 2 or 3"))
        if area.upper() not in Provider.Area.values:
            problem(line, "area", _("the area is not LOCAL or OUT"))
        if active not in ("0", "1"):
            problem(line, "active", _("active is not 0 or 1"))
        first_line.setdefault(code, line)
        if len(errors) == before:
            wanted[code] = {"name": name, "level": int(level), "area": area.upper(), "active": active == "1"}
    return wanted, errors


def load_providers(*, path: Path, actor=None) -> ProviderLoad:
    """Create or update each provider of the file by its code (others are left as they are).
    All or nothing: raises ProviderFileRejected listing every invalid row."""
    wanted, errors = _check(_read(path))
    if errors:
        raise ProviderFileRejected(_("%(n)d problem(s) in the file: nothing was loaded.") % {"n": len(errors)},
                                   errors=errors)
    with transaction.atomic():
        xact_lock("core.providers.load")
        existing = {p.code: p for p in Provider.objects.select_for_update().filter(code__in=wanted)}
        new = [Provider(code=code, **values) for code, values in wanted.items() if code not in existing]
        changed = []
        for code, provider in existing.items():
            before = {f: getattr(provider, f) for f in FIELDS}
            if before != wanted[code]:
                for field, value in wanted[code].items():
                    setattr(provider, field, value)
                changed.append((provider, before, wanted[code]))
        Provider.objects.bulk_create(new)
        Provider.objects.bulk_update([p for p, _b, _a in changed], list(FIELDS))
        record_many(actor, "core.provider.created", [(p, None, {f: getattr(p, f) for f in FIELDS}) for p in new])
        record_many(actor, "core.provider.updated", changed)
        result = ProviderLoad(created=len(new), updated=len(changed),
                              unchanged=len(wanted) - len(new) - len(changed), providers=Provider.objects.count())
        if new or changed:
            record(actor, "core.providers.loaded", ("core.providers", Path(path).name[:64], Path(path).name), None,
                   {"file": str(path), "created": result.created, "updated": result.updated})
    return result


def issue_api_token(*, provider_code: str, username: str, actor=None) -> str:
    """The API token of the provider user `username`, created with the provider role and access to
    this one provider, or reused as it is on a rerun. Refused (NotFound, Conflict) for an unknown
    provider, or a user name that belongs to another provider or to the office's staff."""
    sync_roles()
    User = get_user_model()
    with transaction.atomic():
        provider = Provider.objects.filter(code=provider_code).first()
        if provider is None:
            raise NotFound(_("No provider has the code %(code)s.") % {"code": provider_code})
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=None)
            record(actor, "core.user.created", user, None, {"username": username, "provider": provider.code})
        _check_provider_user(user, provider)
        user.groups.add(Group.objects.get(name=Role.PROVIDER.value))
        grant_provider_access(user=user, provider=provider, actor=actor)
        token, created = Token.objects.get_or_create(user=user)
        if created:
            record(actor, "core.api_token.issued", user, None, {"provider": provider.code})
    return token.key


def _check_provider_user(user, provider: Provider) -> None:
    if user.is_staff or user.is_superuser or roles_of(user) - {Role.PROVIDER.value}:
        raise Conflict(_("The user %(user)s belongs to the office's staff, not to a provider.")
                       % {"user": user.get_username()})
    others = (UserObjectPermission.objects.filter(user=user, permission__codename=PERMISSION.split(".")[1],
                                                  permission__content_type__app_label="core")
              .exclude(object_pk=str(provider.pk)).values_list("object_pk", flat=True))
    other = Provider.objects.filter(pk__in=[int(pk) for pk in others]).first()
    if other is not None:
        raise Conflict(_("The user %(user)s already belongs to the provider %(code)s.")
                       % {"user": user.get_username(), "code": other.code})


_PROVIDER_OF_USER = """
    SELECT p.* FROM core_provider p
    JOIN guardian_userobjectpermission g ON g.object_pk = p.id::text
    JOIN auth_permission ap ON ap.id = g.permission_id
    JOIN django_content_type ct ON ct.id = ap.content_type_id
    WHERE g.user_id = %s AND ap.codename = %s AND ct.app_label = %s
    ORDER BY p.code LIMIT 1
"""


_UNREAD = object()


def provider_of_user(user) -> Provider | None:
    """The provider a provider user belongs to (its one per-user grant, as providers_visible_to counts
    them), in one light query: the coverage check asks it on every lookup (core.authentication
    reads it with the token and keeps it on the user object for the request)."""
    cached = getattr(user, "_provider_of_user", _UNREAD)
    if cached is not _UNREAD:
        return cached
    app_label, codename = PERMISSION.split(".")
    return next(iter(Provider.objects.raw(_PROVIDER_OF_USER, [user.pk, codename, app_label])), None)
