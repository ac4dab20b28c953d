#!/bin/sh
# The database's two roles, created once when the volume is first initialised (the postgres image runs
# /docker-entrypoint-initdb.d/* as the bootstrap superuser, POSTGRES_USER):
#   DB_OWNER (verification)      owns the database and its tables; only the one-shot `migrate` service
#                                connects as it (migrate, then `manage.py grant_app_role`).
#   DB_APP   (verification_app)  the site, the worker and beat: SELECT, INSERT, UPDATE, DELETE on the
#                                tables, but only SELECT and INSERT on the audit trail (grant_app_role).
# Neither is a superuser, so neither can switch the audit table's triggers off.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v owner="${DB_OWNER:-verification}" -v app="${DB_APP:-verification_app}" \
  -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";
-- Tables the owner creates (migrations) are the application's to use; grant_app_role then takes
-- UPDATE, DELETE and TRUNCATE on core_auditentry away again, after every migrate.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
