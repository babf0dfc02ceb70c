/**
 * The embedded server's data database (reference §5.3 "built-in"): `sinas_data`, owned by its own
 * LOGIN role `sinas_data` (no other attribute, its generated password in the data dir), where the
 * `built-in` database connection points. It is not the platform's database: that role owns nothing
 * there and is granted nothing on it, so a user with the browser or a query on `built-in` never
 * reaches the event store or the read models. Idempotent, like the rest of provisioning.
 */
import type pg from 'pg';
import { DATA_DATABASE, DATA_ROLE, type Layout } from './layout.js';
import { newPassword, readPassword, scramVerifier } from './passwords.js';

/** ensures the role and the database; answers the role's password */
export async function ensureDataDatabase(admin: pg.Client, layout: Layout): Promise<string> {
  const attrs = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
  const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [DATA_ROLE])).rowCount;
  let password = exists ? readPassword(layout.dataPasswordFile) : undefined;
  if (password) await admin.query(`ALTER ROLE ${DATA_ROLE} WITH ${attrs}`);
  else {
    const pending = newPassword(layout.dataPasswordFile);
    await admin.query(
      `${exists ? 'ALTER' : 'CREATE'} ROLE ${DATA_ROLE} WITH ${attrs} PASSWORD '${scramVerifier(pending.password)}'`,
    );
    pending.commit();
    password = pending.password;
  }
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATA_DATABASE]);
  if (!rowCount) await admin.query(`CREATE DATABASE ${DATA_DATABASE} OWNER ${DATA_ROLE}`);
  return password;
}
