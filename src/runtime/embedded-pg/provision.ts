/**
 * What only the superuser may do, done by it over the socket at start: the platform's own role
 * `sinas` (LOGIN, nothing else: no SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS; its
 * generated password in the data dir), the database `sinas` owned by it, the analysts' NOLOGIN role
 * (cluster-wide, needs CREATEROLE), and, for a data dir made by the old code where the superuser
 * created everything, every schema, table, view, sequence, function and type of the `sinas`
 * database handed to `sinas`. Each step is idempotent and cheap when there is nothing to do.
 */
import pg from 'pg';
import { ANALYST_ROLE } from '../../projections/analytics.js';
import { StartupError } from '../startup-error.js';
import { APP_DATABASE, APP_ROLE, SUPERUSER, socketUrl, type Layout } from './layout.js';
import { ensureDataDatabase } from './data-database.js';
import { newPassword, readPassword, scramVerifier } from './passwords.js';

export async function provision(
  layout: Layout,
  superPassword: string,
): Promise<{ readonly app: string; readonly data: string }> {
  const admin = await superuserClient(layout, superPassword, 'postgres');
  let appPassword: string;
  let dataPassword: string;
  try {
    appPassword = await ensureAppRole(admin, layout);
    await ensureDatabase(admin);
    dataPassword = await ensureDataDatabase(admin, layout);
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ANALYST_ROLE}') THEN
        CREATE ROLE ${ANALYST_ROLE} NOLOGIN;
      END IF;
    END $$`);
  } finally {
    await admin.end();
  }
  const db = await superuserClient(layout, superPassword, APP_DATABASE);
  try {
    await db.query(ADOPT_OBJECTS);
  } finally {
    await db.end();
  }
  return { app: appPassword, data: dataPassword };
}

async function superuserClient(layout: Layout, password: string, database: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: socketUrl(SUPERUSER, password, database, layout.socketDir, layout.port),
  });
  try {
    await client.connect();
  } catch (err) {
    throw new StartupError(
      `the embedded database refused its superuser (${(err as Error).message})`,
      `if ${layout.superuserPasswordFile} was edited or copied from elsewhere, delete it and start again: a new password is then set`,
    );
  }
  return client;
}

/** The role, with its password from the data dir (a new one when the file is missing). */
async function ensureAppRole(admin: pg.Client, layout: Layout): Promise<string> {
  const attrs = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE])).rowCount;
  const known = exists ? readPassword(layout.appPasswordFile) : undefined;
  if (known) {
    await admin.query(`ALTER ROLE ${APP_ROLE} WITH ${attrs}`);
    return known;
  }
  const pending = newPassword(layout.appPasswordFile);
  const verifier = scramVerifier(pending.password);
  await admin.query(`${exists ? 'ALTER' : 'CREATE'} ROLE ${APP_ROLE} WITH ${attrs} PASSWORD '${verifier}'`);
  pending.commit();
  return pending.password;
}

async function ensureDatabase(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
    [APP_DATABASE],
  );
  if (rows.length === 0) await admin.query(`CREATE DATABASE ${APP_DATABASE} OWNER ${APP_ROLE}`);
  else if (rows[0]!.owner !== APP_ROLE)
    await admin.query(`ALTER DATABASE ${APP_DATABASE} OWNER TO ${APP_ROLE}`);
}

/** Everything in the database not yet the app role's becomes its (sequences of a column follow their table). */
const ADOPT_OBJECTS = `DO $$
DECLARE
  r record;
  app oid := '${APP_ROLE}'::regrole;
BEGIN
  FOR r IN SELECT nspname FROM pg_namespace
    WHERE nspowner NOT IN (app, 'pg_database_owner'::regrole)
      AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
  LOOP
    EXECUTE format('ALTER SCHEMA %I OWNER TO ${APP_ROLE}', r.nspname);
  END LOOP;
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relowner <> app AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}', CASE r.relkind
      WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
      WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS sig, p.prokind FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p.proowner <> app AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}', CASE r.prokind
      WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.sig);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name, t.typtype FROM pg_type t
    JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typowner <> app AND t.typtype IN ('e', 'd', 'r')
      AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO ${APP_ROLE}',
      CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.name);
  END LOOP;
END $$`;
