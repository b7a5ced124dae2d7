#!/usr/bin/env bash
# Runs once, as the PostgreSQL superuser, when the db service initialises an empty data
# directory (docker-entrypoint-initdb.d). It creates the two roles the app uses, so nothing
# of the app ever connects as the superuser:
#   - the owner (IPNB_OWNER_ROLE, default ipnb_owner): owns the database and every table;
#     only the migrate service connects as it, to run `migrate` and `grant_runtime_role`.
#   - the runtime role (IPNB_APP_ROLE, default ipnb_app): web, worker and beat; it owns
#     nothing and gets only the grants of audit/sql/runtime_role.sql.
# Neither is a superuser, so neither can switch a trigger off with session_replication_role.
set -euo pipefail

: "${IPNB_OWNER_PASSWORD:?set IPNB_OWNER_PASSWORD (the owner role's password)}"
: "${IPNB_APP_PASSWORD:?set IPNB_APP_PASSWORD (the runtime role's password)}"
IPNB_DB="${IPNB_DB:-ipnb}"
IPNB_OWNER_ROLE="${IPNB_OWNER_ROLE:-ipnb_owner}"
IPNB_APP_ROLE="${IPNB_APP_ROLE:-ipnb_app}"

psql -X -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v db="$IPNB_DB" -v owner="$IPNB_OWNER_ROLE" -v app="$IPNB_APP_ROLE" \
  -v owner_password="$IPNB_OWNER_PASSWORD" -v app_password="$IPNB_APP_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
\connect :"db"
-- The owner creates the tables; the runtime role may create nothing.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- The migrations need no extension today; any they come to need is created here, by the
-- superuser, since the owner may not create untrusted ones.
SQL
