/**
 * The platform's database role must not be able to leave the database: a superuser (or a member of
 * pg_execute_server_program / pg_read_server_files / pg_write_server_files) can run programs and
 * read files on the database host with COPY, so anyone who reaches the database as it owns the
 * machine. Development warns loudly; production refuses to start, saying how to fix it.
 */
import type pg from 'pg';
import { StartupError } from './startup-error.js';

const SERVER_ROLES = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files'];

export async function checkDatabaseRole(
  pool: pg.Pool,
  env: 'development' | 'production',
  warn: (msg: string) => void,
): Promise<void> {
  const { rows } = await pool.query<{ role: string; superuser: boolean; server: string[] }>(
    `SELECT current_user AS role, rolsuper AS superuser,
            ARRAY(SELECT r FROM unnest($1::text[]) r WHERE pg_has_role(current_user, r, 'MEMBER')) AS server
       FROM pg_roles WHERE rolname = current_user`,
    [SERVER_ROLES],
  );
  const r = rows[0];
  if (!r || (!r.superuser && r.server.length === 0)) return;
  const what = r.superuser ? 'a superuser' : `a member of ${r.server.join(', ')}`;
  const why = `the database role '${r.role}' in DATABASE_URL is ${what}: whoever reaches the database as it can run programs and read files on the database host (COPY … FROM PROGRAM)`;
  const fix =
    `as a superuser, once: CREATE ROLE sinas LOGIN PASSWORD '…'; CREATE DATABASE sinas OWNER sinas; ` +
    `CREATE ROLE sinas_analyst NOLOGIN; then set DATABASE_URL=postgres://sinas:…@host/sinas ` +
    `(an existing database: ALTER DATABASE <db> OWNER TO sinas and REASSIGN OWNED BY ${r.role} TO sinas in it, ` +
    `or pg_dump --no-owner it and restore it as sinas)`;
  if (env === 'production') throw new StartupError(why, fix);
  warn(`DEVELOPMENT ONLY, refused in production: ${why}. To fix: ${fix}`);
}
