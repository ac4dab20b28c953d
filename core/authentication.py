"""Token authentication that reads the user, their roles and their provider in one query.

DRF's TokenAuthentication reads the token with its user (one query); the role check then reads the
user's groups (another) and a provider's endpoints the user's provider (a third). An endpoint asked
hundreds of times a second (the coverage check) uses this class instead: the same answers (the
same 401s for a missing, malformed, unknown token or an inactive user) from one statement, nothing
kept between requests (a deleted token, a removed role or a moved grant count on the next request).
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from .models import Provider
from .prepared import prepared_cursor
from .providers import PERMISSION

__all__ = ["TokenUserAuthentication"]


def _sql() -> tuple[str, list, list]:
    user_model = get_user_model()
    user_fields = [f for f in user_model._meta.concrete_fields]
    provider_fields = [f for f in Provider._meta.concrete_fields]
    app_label, codename = PERMISSION.split(".")
    # The provider as core.provider_accounts.provider_of_user finds it (its one per-user grant).
    sql = f"""
        SELECT {", ".join(f"u.{connection.ops.quote_name(f.column)}" for f in user_fields)},
          ARRAY(SELECT g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                 WHERE ug.user_id = u.id),
          {", ".join(f"p.{connection.ops.quote_name(f.column)}" for f in provider_fields)}
        FROM authtoken_token t
        JOIN {connection.ops.quote_name(user_model._meta.db_table)} u ON u.id = t.user_id
        LEFT JOIN LATERAL (
          SELECT p.* FROM core_provider p
          JOIN guardian_userobjectpermission g ON g.object_pk = p.id::text
          JOIN auth_permission ap ON ap.id = g.permission_id
          JOIN django_content_type ct ON ct.id = ap.content_type_id
          WHERE g.user_id = u.id AND ap.codename = '{codename}' AND ct.app_label = '{app_label}'
          ORDER BY p.code LIMIT 1) p ON true
        WHERE t.key = %s
    """  # noqa: S608 (constants and model metadata only; values are parameters)
    return sql, [f.attname for f in user_fields], [f.attname for f in provider_fields]


class TokenUserAuthentication(TokenAuthentication):
    """DRF's token authentication, with the user's role names (core.roles.roles_of) and provider
    (core.provider_accounts.provider_of_user) read in the same query and kept on the user object
    for this request."""

    _statement = None

    def authenticate_credentials(self, key):
        if "\x00" in key or len(key) > 40:  # never a key (and PostgreSQL cannot compare a NUL)
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if TokenUserAuthentication._statement is None:
            TokenUserAuthentication._statement = _sql()
        sql, user_names, provider_names = TokenUserAuthentication._statement
        with prepared_cursor() as cur:  # parsed and planned once per connection
            cur.execute(sql, [key])
            row = cur.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        n = len(user_names)
        user = get_user_model().from_db(connection.alias, user_names, row[:n])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        from .roles import Role

        roles = frozenset(row[n])
        user._role_names = roles | {Role.ADMIN.value} if user.is_superuser else roles
        provider_row = row[n + 1:]
        user._provider_of_user = (Provider.from_db(connection.alias, provider_names, provider_row)
                                  if provider_row[0] is not None else None)
        return user, Token(key=key, user=user)


# The same `tokenAuth` security scheme as DRF's TokenAuthentication (drf-spectacular matches subclasses): one
# scheme in the schema, not a collision between two.
set_override(TokenUserAuthentication, "suppress_collision_warning", True)
