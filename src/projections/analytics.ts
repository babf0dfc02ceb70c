/**
 * Installs and keeps the analyst schema (DESIGN §6): schema `analytics` with its price table and
 * views (analytics-views.ts), and the read-only role `sinas_analyst` that may read those and nothing
 * else. A view binds to its tables' OIDs, not their names, so a projection swap rebinds the views to
 * the fresh tables inside the swap's own transaction, before the old tables are dropped: analysts
 * never see a missing or stale view, and the grants (kept by CREATE OR REPLACE) survive.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { ANALYTICS_SCHEMA, ANALYTICS_SOURCES, ANALYTICS_VIEWS, MODEL_PRICES_DDL } from './analytics-views.js';
import type { Projection, TableNames } from './projection.js';
import { createLiveTables } from './runner.js';
import { inTransaction } from './transaction.js';

export const ANALYST_ROLE = 'sinas_analyst';

export interface AnalyticsOptions {
  /** the read-only role to create and grant the views to; default `sinas_analyst` */
  readonly role?: string;
  readonly log: Pick<Logger, 'warn'>;
}

/** At worker start: the projections' live tables, then the schema, its views and the grants, atomically. */
export async function installAnalytics(
  pool: pg.Pool,
  projections: readonly Projection[],
  options: AnalyticsOptions,
): Promise<void> {
  const role = options.role ?? ANALYST_ROLE;
  await ensureAnalystRole(pool, role, options.log);
  await inTransaction(pool, async (tx) => {
    await lockAnalytics(tx);
    for (const p of projections) await createLiveTables(tx, p);
    await applyAnalytics(tx, sourceNames({}), role);
  });
}

/** Serialises everything that (re)creates the views; a swap takes it before its checkpoint lock. */
export async function lockAnalytics(tx: pg.PoolClient): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`analytics:${ANALYTICS_SCHEMA}`]);
}

/**
 * In a projection swap's transaction, before the old tables are dropped: binds the views to the fresh
 * tables (`fresh`: logical → fresh name), which the swap then renames to the live names. Nothing
 * to do where no worker has installed the schema yet.
 */
export async function rebindAnalytics(tx: pg.PoolClient, fresh: TableNames): Promise<void> {
  if (!ANALYTICS_SOURCES.some((s) => s in fresh)) return;
  const { rows } = await tx.query<{ ok: boolean }>('SELECT to_regnamespace($1) IS NOT NULL AS ok', [
    ANALYTICS_SCHEMA,
  ]);
  if (rows[0]!.ok) await applyAnalytics(tx, sourceNames(fresh), ANALYST_ROLE);
}

function sourceNames(overrides: TableNames): TableNames {
  return Object.fromEntries(ANALYTICS_SOURCES.map((s) => [s, overrides[s] ?? s]));
}

async function applyAnalytics(tx: pg.PoolClient, t: TableNames, role: string): Promise<void> {
  await tx.query(`CREATE SCHEMA IF NOT EXISTS ${ANALYTICS_SCHEMA};
    COMMENT ON SCHEMA ${ANALYTICS_SCHEMA} IS 'Stable read-only views over the Sinas read models (README: Analyst schema)';
    ${MODEL_PRICES_DDL}`);
  await tx.query('SAVEPOINT analytics_views');
  try {
    await tx.query(viewsSql(t));
    await tx.query('RELEASE SAVEPOINT analytics_views');
  } catch (err) {
    // a column changed type or name (a projection's new version): replace cannot, so drop and create
    if (!REPLACE_REFUSED.has((err as { code?: string }).code ?? '')) throw err;
    await tx.query('ROLLBACK TO SAVEPOINT analytics_views');
    const names = ANALYTICS_VIEWS.map((v) => `${ANALYTICS_SCHEMA}.${v.name}`).reverse();
    await tx.query(`DROP VIEW IF EXISTS ${names.join(', ')}`);
    await tx.query(viewsSql(t));
  }
  const exists = await tx.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (exists.rowCount) await tx.query(grantsSql(role));
}

/** invalid_table_definition, datatype_mismatch: what CREATE OR REPLACE VIEW says to a changed column */
const REPLACE_REFUSED = new Set(['42P16', '42804']);

function viewsSql(t: TableNames): string {
  return ANALYTICS_VIEWS.map(
    (v) => `CREATE OR REPLACE VIEW ${ANALYTICS_SCHEMA}.${v.name} AS ${v.sql(t)};
      COMMENT ON VIEW ${ANALYTICS_SCHEMA}.${v.name} IS ${literal(v.comment)};`,
  ).join('\n');
}

/** SELECT on the views and the price table only; nothing on the read models or anything else. */
function grantsSql(role: string): string {
  const readable = [...ANALYTICS_VIEWS.map((v) => v.name), 'model_prices'].map(
    (n) => `${ANALYTICS_SCHEMA}.${n}`,
  );
  return `
    GRANT USAGE ON SCHEMA ${ANALYTICS_SCHEMA} TO ${role};
    REVOKE ALL ON ALL TABLES IN SCHEMA ${ANALYTICS_SCHEMA} FROM ${role};
    GRANT SELECT ON ${readable.join(', ')} TO ${role};
    DO $$ BEGIN
      EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM ${role}', current_schema());
      EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM ${role}', current_schema());
      EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM ${role}', current_schema());
    END $$;`;
}

/**
 * Creates the NOLOGIN role once per cluster. Two processes may race (the loser's CREATE sees the
 * winner's row as a duplicate, which is fine). A database user without CREATEROLE (an external
 * DATABASE_URL) gets a warning and no role: the views are still installed, and granted to the role
 * whenever an administrator has created it.
 */
export async function ensureAnalystRole(
  pool: pg.Pool,
  role: string,
  log: Pick<Logger, 'warn'>,
): Promise<boolean> {
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`not a plain role name: ${role}`);
  try {
    await pool.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${role} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    log.warn(
      { role },
      `the database user may not create roles (no CREATEROLE), so the read-only role ${role} was not created; ` +
        `the ${ANALYTICS_SCHEMA} views are installed. To give analysts access, have an administrator run ` +
        `CREATE ROLE ${role} NOLOGIN, then restart a worker (it grants the views to it)`,
    );
    return false;
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
