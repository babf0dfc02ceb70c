/**
 * `outage_recovery` for Redis: `npm start` as a child process (embedded Postgres) on REDIS_URL (BullMQ turns, the Redis
 * live bus) whose redis-server is stopped and started again 5 times (SIGTERM and SIGKILL in turn)
 * while a second chat keeps posting. From the moment redis-server listens again, it measures the
 * time to the first command the API accepts (a chat message posted, answered 2xx) and to that
 * message's turn completed (its job ran through the queue and the read model shows it). p50 over
 * the outages; targets 1 s and 2 s. Without redis-server it prints a skipped line.
 */
import { ADMIN_KEY } from '../test/support/platform.js';
import { RestartableRedis } from '../test/support/restartable-redis.js';
import { freePort, hasCommand } from '../test/support/services.js';
import { sinasProcesses, startSinas, type SinasProcess } from '../test/support/sinas-process.js';
import { getChat, poll, postProbe, setUp } from './outage-recovery-database.js';
import { emit, log, sleep } from './io.js';
import { median, round } from './stats.js';

const OUTAGES = 5;
const LOAD_PAUSE_MS = 100;
const headers = { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' };

export async function runOutageRecoveryRedis(): Promise<void> {
  if (!hasCommand('redis-server')) {
    emit({ bench: 'outage_recovery', dependency: 'redis', skipped: 'redis-server is not installed' });
    return;
  }
  const redis = await RestartableRedis.start();
  const procs = sinasProcesses('sinas-bench-outage-redis-');
  let loading = true;
  try {
    const s = procs.track(
      startSinas(procs.dataDir(), await freePort(), {
        REDIS_URL: redis.url,
        SINAS_ADMIN_API_KEY: ADMIN_KEY,
      }),
    );
    await s.healthy(120_000);
    const chatId = await setUp(s.url);
    const load = keepPosting(s.url, await newChat(s.url), () => loading);
    const firstCommand: number[] = [];
    const completed: number[] = [];
    for (let i = 0; i < OUTAGES; i++) {
      await redis.down(i % 2 === 0 ? 'SIGTERM' : 'SIGKILL');
      await poll('the API to notice the outage', async () => (await redisUp(s)) === false);
      await redis.up();
      const back = performance.now();
      const content = `probe-${i}`;
      await poll('a command accepted', () => postProbe(s.url, chatId, content));
      firstCommand.push(performance.now() - back);
      await poll('its turn completed', () => turnCompleted(s.url, chatId, content));
      completed.push(performance.now() - back);
      log(
        `redis outage ${i + 1}: first command ${firstCommand.at(-1)!.toFixed(0)} ms, turn completed ${completed.at(-1)!.toFixed(0)} ms`,
      );
      if (s.child.exitCode !== null) throw new Error(`the platform exited: ${s.stderr()}`);
    }
    loading = false;
    await load;
    emit({
      bench: 'outage_recovery',
      dependency: 'redis',
      outages: OUTAGES,
      first_command_ms: round(median(firstCommand)),
      caught_up_ms: round(median(completed)),
      first_command_max_ms: round(Math.max(...firstCommand)),
      caught_up_max_ms: round(Math.max(...completed)),
    });
  } finally {
    loading = false;
    await procs.cleanUp();
    await redis.remove();
  }
}

async function newChat(url: string): Promise<string> {
  const chat = await fetch(`${url}/agents/bench/outage/chats`, { method: 'POST', headers, body: '{}' });
  if (chat.status !== 200) throw new Error(`chat: ${chat.status}`);
  return ((await chat.json()) as { id: string }).id;
}

/** The little load: messages posted to another chat one after another, whatever the answer. */
async function keepPosting(url: string, chatId: string, going: () => boolean): Promise<void> {
  for (let n = 0; going(); n++) {
    await postProbe(url, chatId, `load-${n}`).catch(() => false);
    await sleep(LOAD_PAUSE_MS);
  }
}

async function redisUp(s: SinasProcess): Promise<boolean | undefined> {
  const res = await fetch(`${s.url}/health`);
  return ((await res.json()) as { ports: Record<string, { up: boolean }> }).ports.redis?.up;
}

/** Whether the turn the message `content` started has completed, as the read model shows it. */
async function turnCompleted(url: string, chatId: string, content: string): Promise<boolean> {
  const r = await getChat(url, chatId);
  if (r.status !== 200) return false;
  const chat = (await r.json()) as {
    messages: { role: string; content: unknown; turn_id: string | null }[];
    turns: { turn_id: string; status: string }[];
  };
  const turnId = chat.messages.find((m) => m.role === 'user' && m.content === content)?.turn_id;
  return chat.turns.some((t) => t.turn_id === turnId && t.status === 'completed');
}
