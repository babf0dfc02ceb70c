/**
 * `outage_recovery` for the database: `npm start` as a child process on an external Postgres that
 * is stopped and started again 5 times (`pg_ctl -m fast` and `-m immediate` in turn). From the
 * moment Postgres is back (pg_ctl's start returned), it measures the time to the first command the
 * API accepts (a chat message posted, answered 2xx) and to the read model showing it (the chat's
 * messages include it: projections caught up). p50 over the outages; targets 1 s and 2 s.
 */
import { ADMIN_KEY } from '../test/support/platform.js';
import { freePort } from '../test/support/services.js';
import { sinasProcesses, startSinas } from '../test/support/sinas-process.js';
import { stoppablePostgres } from '../test/support/stoppable-postgres.js';
import { emit, log, sleep } from './io.js';
import { median, round } from './stats.js';

const OUTAGES = 5;
const POLL_MS = 10;
const CUTOFF_MS = 60_000;
const headers = { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' };

export async function runOutageRecoveryDatabase(): Promise<void> {
  const db = await stoppablePostgres();
  const procs = sinasProcesses('sinas-bench-outage-');
  try {
    const s = procs.track(
      startSinas(procs.dataDir(), await freePort(), { DATABASE_URL: db.url, SINAS_ADMIN_API_KEY: ADMIN_KEY }),
    );
    await s.healthy(120_000);
    const chatId = await setUp(s.url);
    const firstCommand: number[] = [];
    const caughtUp: number[] = [];
    for (let i = 0; i < OUTAGES; i++) {
      await db.stop(i % 2 === 0 ? 'fast' : 'immediate');
      await poll('the API to notice the outage', async () => (await getChat(s.url, chatId)).status === 503);
      await db.start();
      const back = performance.now();
      const content = `probe-${i}`;
      await poll('a command accepted', () => postProbe(s.url, chatId, content));
      firstCommand.push(performance.now() - back);
      await poll('the read model showing it', async () => {
        const r = await getChat(s.url, chatId);
        return (
          r.status === 200 &&
          ((await r.json()) as { messages: { content: string }[] }).messages.some(
            (m) => m.content === content,
          )
        );
      });
      caughtUp.push(performance.now() - back);
      log(
        `outage ${i + 1}: first command ${firstCommand.at(-1)!.toFixed(0)} ms, caught up ${caughtUp.at(-1)!.toFixed(0)} ms`,
      );
      if (s.child.exitCode !== null) throw new Error(`the platform exited: ${s.stderr()}`);
    }
    emit({
      bench: 'outage_recovery',
      dependency: 'database',
      outages: OUTAGES,
      first_command_ms: round(median(firstCommand)),
      caught_up_ms: round(median(caughtUp)),
      first_command_max_ms: round(Math.max(...firstCommand)),
      caught_up_max_ms: round(Math.max(...caughtUp)),
    });
  } finally {
    await procs.cleanUp();
    await db.remove();
  }
}

export async function setUp(url: string): Promise<string> {
  const agent = await fetch(`${url}/api/v1/agents`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ namespace: 'bench', name: 'outage' }),
  });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status}`);
  const chat = await fetch(`${url}/agents/bench/outage/chats`, { method: 'POST', headers, body: '{}' });
  if (chat.status !== 200) throw new Error(`chat: ${chat.status}`);
  return ((await chat.json()) as { id: string }).id;
}

export const getChat = (url: string, chatId: string) => fetch(`${url}/chats/${chatId}`, { headers });

/** Posts the probe message (the same Idempotency-Key on every try); true once accepted. */
export async function postProbe(url: string, chatId: string, content: string): Promise<boolean> {
  const abort = new AbortController();
  try {
    const r = await fetch(`${url}/chats/${chatId}/messages/stream`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': content },
      body: JSON.stringify({ content }),
      signal: abort.signal,
    });
    if (r.status === 503 || r.status === 409) return false;
    if (r.status !== 200) throw new Error(`message: ${r.status} ${await r.text()}`);
    return true;
  } finally {
    abort.abort(); // the reply streams on; only the acceptance is measured
  }
}

export async function poll(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + CUTOFF_MS;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(POLL_MS);
  }
}
