/**
 * Identity read models: `users`, `roles` (with their permission maps) and `role_members`.
 * Permission checks read a user's roles from here on each request (through a short cache).
 * `login-<userId>` streams move `users.last_login_at`.
 */
import type pg from 'pg';
import type { RecordedEvent } from '../events/event-store.js';
import type { LoginEvent } from '../events/auth-events.js';
import type { RoleEvent, UserEvent } from '../events/identity-events.js';
import { versionOfRevision } from '../events/versions.js';
import type { Projection, TableNames } from './projection.js';

export const identityProjection: Projection = {
  name: 'identity',
  version: 2, // 2: `version` counts from 1
  filter: { categories: ['user', 'role', 'login'] },
  tables: ['users', 'roles', 'role_members'],
  createTables: (t) => `
    CREATE TABLE IF NOT EXISTS ${t.users} (
      id text PRIMARY KEY,
      email text NOT NULL,
      active boolean NOT NULL DEFAULT true,
      created_by text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      last_login_at timestamptz,
      version bigint NOT NULL,
      position bigint NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS ${t.users}_email_idx ON ${t.users} (email);
    CREATE TABLE IF NOT EXISTS ${t.roles} (
      name text PRIMARY KEY,
      id uuid NOT NULL,
      description text,
      email_domain text,
      permissions jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      version bigint NOT NULL,
      position bigint NOT NULL
    );
    CREATE TABLE IF NOT EXISTS ${t.role_members} (
      role_name text NOT NULL,
      user_id text NOT NULL,
      added_at timestamptz NOT NULL,
      PRIMARY KEY (role_name, user_id)
    );
    CREATE INDEX IF NOT EXISTS ${t.role_members}_user_idx ON ${t.role_members} (user_id);`,
  async apply(tx, events, t) {
    for (const e of events) {
      if (e.streamName.startsWith('user-')) await applyUser(tx, e, t);
      else if (e.streamName.startsWith('role-')) await applyRole(tx, e, t);
      else if (e.streamName.startsWith('login-')) await applyLogin(tx, e, t);
    }
  },
};

async function applyUser(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as UserEvent;
  const id = e.streamName.slice('user-'.length);
  const meta = [versionOfRevision(e.revision), String(e.position)];
  switch (ev.type) {
    case 'UserCreated':
      await tx.query(
        `INSERT INTO ${t.users} (id, email, created_by, created_at, updated_at, version, position)
         VALUES ($1,$2,$3,$4,$4,$5,$6) ON CONFLICT (id) DO NOTHING`,
        [id, ev.data.email, ev.data.by, ev.data.at, ...meta],
      );
      return;
    case 'UserDeactivated':
    case 'UserReactivated':
      await tx.query(
        `UPDATE ${t.users} SET active = $2, updated_at = $3, version = $4, position = $5 WHERE id = $1`,
        [id, ev.type === 'UserReactivated', ev.data.at, ...meta],
      );
      return;
    case 'UserDeleted':
      await tx.query(`DELETE FROM ${t.users} WHERE id = $1`, [id]);
      await tx.query(`DELETE FROM ${t.role_members} WHERE user_id = $1`, [id]);
      return;
  }
}

async function applyLogin(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as LoginEvent;
  if (ev.type !== 'UserLoggedIn') return;
  await tx.query(
    `UPDATE ${t.users} SET last_login_at = greatest(coalesce(last_login_at, $2), $2) WHERE id = $1`,
    [ev.data.userId, ev.data.at],
  );
}

async function applyRole(tx: pg.PoolClient, e: RecordedEvent, t: TableNames): Promise<void> {
  const ev = { type: e.type, data: e.data } as RoleEvent;
  const name = e.streamName.slice('role-'.length);
  const meta = [versionOfRevision(e.revision), String(e.position)];
  const touch = (set: string, params: unknown[]) =>
    tx.query(`UPDATE ${t.roles} SET ${set}, updated_at = $2, version = $3, position = $4 WHERE name = $1`, [
      name,
      ev.data.at,
      ...meta,
      ...params,
    ]);
  switch (ev.type) {
    case 'RoleCreated': {
      const d = ev.data;
      await tx.query(
        `INSERT INTO ${t.roles} (name, id, description, email_domain, permissions, created_at, updated_at, version, position)
         VALUES ($1,$2,$3,$4,$5,$6,$6,$7,$8)
         ON CONFLICT (name) DO UPDATE SET id = $2, description = $3, email_domain = $4, permissions = $5,
           created_at = $6, updated_at = $6, version = $7, position = $8`,
        [name, d.roleId, d.description, d.emailDomain, JSON.stringify(d.permissions), d.at, ...meta],
      );
      return;
    }
    case 'RoleUpdated': {
      const d = ev.data;
      await touch(
        `description = CASE WHEN $5 THEN $6 ELSE description END, email_domain = CASE WHEN $7 THEN $8 ELSE email_domain END`,
        [
          d.description !== undefined,
          d.description ?? null,
          d.emailDomain !== undefined,
          d.emailDomain ?? null,
        ],
      );
      return;
    }
    case 'RolePermissionsChanged':
      await touch(`permissions = (permissions || $5::jsonb) - $6::text[]`, [
        JSON.stringify(ev.data.set),
        ev.data.removed,
      ]);
      return;
    case 'RoleMemberAdded':
      await tx.query(
        `INSERT INTO ${t.role_members} (role_name, user_id, added_at) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING`,
        [name, ev.data.userId, ev.data.at],
      );
      await touch('name = name', []);
      return;
    case 'RoleMemberRemoved':
      await tx.query(`DELETE FROM ${t.role_members} WHERE role_name = $1 AND user_id = $2`, [
        name,
        ev.data.userId,
      ]);
      await touch('name = name', []);
      return;
    case 'RoleDeleted':
      await tx.query(`DELETE FROM ${t.role_members} WHERE role_name = $1`, [name]);
      await tx.query(`DELETE FROM ${t.roles} WHERE name = $1`, [name]);
      return;
  }
}
