/**
 * The setup the database-trigger crash tests share: an API-only platform, a user database with a
 * `feed` table, worker processes on it (SIGKILLed at the end if still alive), and a trigger
 * `feed` on that table saved once the workers have projected its connection, its function and
 * the admin's roles (the save checks them as the workers see them). Also what the tests count
 * afterwards: the trigger's claimed and settled batches, and its CDC runs in `/executions`.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { BatchClaimedData, BatchSettledData } from '../../src/events/database-trigger-events.js';
import { triggerPollStream } from '../../src/events/database-trigger-events.js';
import { executionsCaughtUp } from './executions-caught-up.js';
import { startTestPlatform, type JsonResponse, type TestPlatform } from './platform.js';
import { until } from './until.js';
import { userDatabase, type UserDatabase } from './user-database.js';
import { spawnWorker } from './worker-process.js';

const PROJECTED_MS = 100_000;

export interface TriggerFeed {
  readonly t: TestPlatform;
  /** a pool on the user database, for inserting into `feed` */
  readonly data: pg.Pool;
  /** starts one more worker process */
  worker(): ChildProcess;
  /** saves the connection, function `cdc/<name>` and trigger `feed` on `feed`; the trigger's id */
  trigger(fn: { readonly name: string; readonly code: string }, batchSize: number): Promise<string>;
  /** the trigger as `GET /api/v1/database-triggers/feed` shows it */
  status(): ReturnType<JsonResponse['json']>;
  /** the trigger's poll stream and the batches claimed and settled on it, in order */
  batches(): Promise<{ events: readonly unknown[]; claims: BatchClaimedData[]; settled: BatchSettledData[] }>;
  stop(): Promise<void>;
}

/** A failed setup call fails the test naming the call, not later on a missing field. */
export async function must(r: Promise<JsonResponse>, status: number): Promise<JsonResponse> {
  const res = await r;
  if (res.status !== status) throw new Error(`setup: ${res.url} gave ${res.status}: ${await res.text()}`);
  return res;
}

/** A trigger's CDC runs, read once the executions read model has caught up with them. */
export async function triggerRuns(t: TestPlatform, triggerId: string): Promise<Record<string, unknown>[]> {
  await executionsCaughtUp(t);
  const runs = (await (await t.api('/executions?trigger_type=CDC&limit=1000')).json()) as Record<
    string,
    unknown
  >[];
  return runs.filter((r) => r.trigger_id === triggerId);
}

/** `columns`: the `feed` table's column list, as CREATE TABLE takes it. */
export async function triggerFeed(columns: string): Promise<TriggerFeed> {
  const t = await startTestPlatform({ SINAS_ROLE: 'api' });
  const db = await userDatabase();
  const data = new pg.Pool({ connectionString: db.url, max: 2 });
  await data.query(`CREATE TABLE feed (${columns})`);
  const workers: ChildProcess[] = [];
  let triggerId = '';
  return {
    t,
    data,
    worker: () => {
      const w = spawnWorker(t.db.url);
      workers.push(w);
      return w;
    },
    trigger: async (fn, batchSize) => (triggerId = await saveTrigger(t, db, fn, batchSize)),
    status: async () => (await t.api('/api/v1/database-triggers/feed')).json(),
    batches: () => batchesOf(t, triggerId),
    stop: async () => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
      await data.end();
      await t.stop();
      await db.drop();
    },
  };
}

async function batchesOf(t: TestPlatform, triggerId: string) {
  const events = await t.platform.services.eventStore.readStream(triggerPollStream(triggerId));
  const claims = events
    .filter((e) => e.type === 'DatabaseTriggerBatchClaimed')
    .map((e) => e.data as unknown as BatchClaimedData);
  const settled = events
    .filter((e) => e.type === 'DatabaseTriggerBatchSettled')
    .map((e) => e.data as unknown as BatchSettledData);
  return { events, claims, settled };
}

async function saveTrigger(
  t: TestPlatform,
  db: UserDatabase,
  fn: { readonly name: string; readonly code: string },
  batchSize: number,
): Promise<string> {
  const post = (path: string, json: unknown) => t.api(path, { method: 'POST', json });
  const conn = { name: 'feeddb', connection_type: 'postgresql', ...db.fields };
  const connId = (await (await must(post('/api/v1/database-connections', conn), 201)).json()).id;
  await must(post('/api/v1/functions', { namespace: 'cdc', ...fn }), 201);
  await projected(t, fn.name);
  const made = await must(
    post('/api/v1/database-triggers', {
      name: 'feed',
      database_connection_id: connId,
      table_name: 'feed',
      operations: ['INSERT'],
      function_namespace: 'cdc',
      function_name: fn.name,
      poll_column: 'id',
      poll_interval_seconds: 1,
      batch_size: batchSize,
    }),
    201,
  );
  return (await made.json()).id;
}

/** the workers project what the trigger's save checks: on a busy machine they may still be starting */
async function projected(t: TestPlatform, fnName: string): Promise<void> {
  const found = async (path: string) => (await t.api(path)).status === 200;
  await until('the connection projected', () => found('/api/v1/database-connections/feeddb'), PROJECTED_MS);
  await until('the function projected', () => found(`/api/v1/functions/cdc/${fnName}`), PROJECTED_MS);
  // the save checks the admin may run the function, with the admin's roles as the workers project them
  const admin = (await t.platform.services.functions.at('cdc', fnName)).ownerId;
  const identity = t.platform.services.queries.identity;
  await until(
    "the admin's roles projected",
    async () => (await identity.permissionsOf(admin)).roles.length > 0,
    PROJECTED_MS,
  );
}
