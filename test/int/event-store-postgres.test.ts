import pg from 'pg';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase } from '../support/pg.js';
import { eventStoreContract } from './event-store.contract.js';

eventStoreContract('postgres', async () => {
  const db = await freshDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  await migrate(pool);
  const store = new PgEventStore(pool, db.url);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await pool.end();
      await db.drop();
    },
  };
});
