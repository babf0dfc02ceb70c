/** A second database on the run's server, owned by its own role: what a database connection points at. */
import { freshDatabase, type TestDatabase } from './pg.js';

export interface UserDatabase extends TestDatabase {
  /** the connection fields the database-connections API takes */
  readonly fields: { host: string; port: number; database: string; username: string; password: string };
}

export async function userDatabase(): Promise<UserDatabase> {
  const db = await freshDatabase({ owner: 'app' });
  const u = new URL(db.url);
  return {
    ...db,
    fields: {
      host: u.hostname,
      port: Number(u.port || 5432),
      database: u.pathname.slice(1),
      username: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
    },
  };
}
