import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_grants(role: str) -> list[str]:
    """What the application's role may do: read and write every table, but only add to and read the
    audit trail. Also for the tables that later migrations create (default privileges)."""
    r = connection.ops.quote_name(role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        "REVOKE ALL ON core_auditentry FROM PUBLIC",
        f"REVOKE ALL ON core_auditentry FROM {r}",
        f"GRANT SELECT, INSERT ON core_auditentry TO {r}",
    ]


class Command(BaseCommand):
    help = ("Grant the application's database role what it needs to serve: SELECT, INSERT, UPDATE and DELETE "
            "on every table, but only SELECT and INSERT on the audit trail. Run as the owner of the tables (the "
            "role that migrates), after every migrate.")

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role the site, the worker and beat connect as")

    def handle(self, *args, role: str, **options):
        if not ROLE_NAME.match(role):
            raise CommandError(f"{role!r} is not a plain role name (lower-case letters, digits, _).")
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", [role])
            found = cur.fetchone()
            if found is None:
                raise CommandError(f"There is no database role {role}.")
            if found[0] or found[1]:
                raise CommandError(f"{role} is a superuser or the role running this command: no privilege binds "
                                   "it. The application needs a role of its own.")
            for statement in app_role_grants(role):
                cur.execute(statement)
        self.stdout.write(f"{role}: SELECT, INSERT, UPDATE, DELETE on every table; SELECT and INSERT only on "
                          "core_auditentry.")
