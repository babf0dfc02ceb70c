/** What the API reads from the identity read models. */
import type pg from 'pg';
import type { PermissionMap } from '../events/identity-events.js';

export interface UserRow {
  id: string;
  email: string;
  active: boolean;
  created_at: Date;
  last_login_at: Date | null;
  version: string;
  roles: string[];
}

export interface RoleRow {
  name: string;
  id: string;
  description: string | null;
  email_domain: string | null;
  permissions: PermissionMap;
  created_at: Date;
  updated_at: Date;
  version: string;
}

/** Before any worker has run, the identity tables do not exist yet: nobody has a role then. */
function notYetProjected(err: { code?: string }): { rows: never[] } {
  if (err.code === '42P01') return { rows: [] };
  throw err;
}

export class IdentityQueries {
  constructor(private readonly pool: pg.Pool) {}

  async users(o: { skip: number; limit: number; search?: string }): Promise<UserRow[]> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT u.*, coalesce(array_agg(m.role_name ORDER BY m.role_name) FILTER (WHERE m.role_name IS NOT NULL), '{}') AS roles
         FROM users u LEFT JOIN role_members m ON m.user_id = u.id
        WHERE ($3::text IS NULL OR u.email LIKE '%' || $3 || '%')
        GROUP BY u.id ORDER BY u.created_at, u.id LIMIT $1 OFFSET $2`,
      [o.limit, o.skip, o.search?.toLowerCase() ?? null],
    );
    return rows;
  }

  async user(id: string): Promise<UserRow | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT u.*, coalesce(array_agg(m.role_name ORDER BY m.role_name) FILTER (WHERE m.role_name IS NOT NULL), '{}') AS roles
         FROM users u LEFT JOIN role_members m ON m.user_id = u.id WHERE u.id = $1 GROUP BY u.id`,
      [id],
    );
    return rows[0];
  }

  /** The user holding `email` (normalised), with whether it is active; undefined before any projection. */
  async userByEmail(email: string): Promise<{ id: string; active: boolean } | undefined> {
    const { rows } = await this.pool
      .query<{ id: string; active: boolean }>('SELECT id, active FROM users WHERE email = $1', [email])
      .catch(notYetProjected);
    return rows[0];
  }

  async rolesOf(userId: string): Promise<string[]> {
    const { rows } = await this.pool
      .query<{ role_name: string }>(
        'SELECT role_name FROM role_members WHERE user_id = $1 ORDER BY role_name',
        [userId],
      )
      .catch(notYetProjected);
    return rows.map((r) => r.role_name);
  }

  /** Roles by name, a page of them; `memberOf`: only the roles that user is in. */
  async roles(o: { skip: number; limit: number; memberOf?: string }): Promise<RoleRow[]> {
    if (o.memberOf === undefined) {
      const { rows } = await this.pool.query<RoleRow>(
        'SELECT * FROM roles ORDER BY name LIMIT $1 OFFSET $2',
        [o.limit, o.skip],
      );
      return rows;
    }
    const { rows } = await this.pool.query<RoleRow>(
      `SELECT * FROM roles WHERE name IN (SELECT role_name FROM role_members WHERE user_id = $3)
        ORDER BY name LIMIT $1 OFFSET $2`,
      [o.limit, o.skip, o.memberOf],
    );
    return rows;
  }

  async role(name: string): Promise<RoleRow | undefined> {
    const { rows } = await this.pool.query<RoleRow>('SELECT * FROM roles WHERE name = $1', [name]);
    return rows[0];
  }

  async members(
    name: string,
  ): Promise<{ user_id: string; email: string | null; active: boolean | null; added_at: Date }[]> {
    const { rows } = await this.pool.query(
      `SELECT m.user_id, u.email, u.active, m.added_at FROM role_members m LEFT JOIN users u ON u.id = m.user_id
        WHERE m.role_name = $1 ORDER BY m.added_at, m.user_id`,
      [name],
    );
    return rows as { user_id: string; email: string | null; active: boolean | null; added_at: Date }[];
  }

  /** The union of the permission maps of the active user's roles (a `true` anywhere wins). */
  async permissionsOf(userId: string): Promise<{ permissions: Record<string, boolean>; roles: string[] }> {
    const { rows } = await this.pool
      .query<{ name: string; permissions: PermissionMap }>(
        `SELECT r.name, r.permissions FROM role_members m JOIN roles r ON r.name = m.role_name
           JOIN users u ON u.id = m.user_id AND u.active WHERE m.user_id = $1`,
        [userId],
      )
      .catch(notYetProjected);
    const permissions: Record<string, boolean> = {};
    for (const r of rows)
      for (const [k, v] of Object.entries(r.permissions)) permissions[k] = permissions[k] === true || v;
    return { permissions, roles: rows.map((r) => r.name).sort() };
  }
}
