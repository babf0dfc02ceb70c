#!/bin/sh
# Run once by the postgres image when it initialises its data volume (docker-entrypoint-initdb.d):
# the app's role `sinas` (LOGIN, no superuser, no CREATEDB/CREATEROLE) owning the database `sinas`,
# and the analysts' NOLOGIN role (README: Analyst schema). Sinas refuses a superuser DATABASE_URL
# in production: a superuser can run programs on the database host (COPY … FROM PROGRAM).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v app_password="$SINAS_DB_PASSWORD" <<'SQL'
CREATE ROLE sinas LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE sinas OWNER sinas;
CREATE ROLE sinas_analyst NOLOGIN;
SQL
