/**
 * The real platform for the HTTP benchmarks: started in this process on a fresh bench database
 * (like test/support/platform.ts does for tests), or — when its memory must be measured alone — as
 * a child process running `node --import tsx src/main.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig } from '../src/runtime/config.js';
import { Platform } from '../src/runtime/platform.js';
import { freshDatabase, type BenchDatabase } from './db.js';
import { log } from './io.js';

export const ADMIN_KEY = 'sk-bench-admin-key-0123456789';
export const ENCRYPTION_KEY = 'bench-encryption-key-0123456789-abcdef';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The environment a platform process needs to run against `databaseUrl`. */
export function platformEnv(databaseUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    SINAS_ADMIN_API_KEY: ADMIN_KEY,
    SINAS_ENCRYPTION_KEY: ENCRYPTION_KEY,
    LOG_LEVEL: 'silent',
    ...env,
  };
}

export interface Api {
  readonly url: string;
  /** fetch against the platform as the bootstrap admin; throws on a non-2xx answer */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(path: string, init?: { method?: string; json?: unknown }): Promise<any>;
}

export function apiAt(url: string): Api {
  return {
    url,
    async json(p, init = {}) {
      const res = await fetch(`${url}${p}`, {
        method: init.method ?? 'GET',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
  };
}

export interface BenchPlatform extends Api {
  readonly platform: Platform;
  readonly db: BenchDatabase;
  stop(): Promise<void>;
}

/** The platform in this process on a fresh database (`db`, when given, is reused and not dropped). */
export async function startBenchPlatform(
  env: Record<string, string> = {},
  db?: BenchDatabase,
): Promise<BenchPlatform> {
  const database = db ?? (await freshDatabase(2));
  let platform: Platform;
  try {
    platform = await Platform.start(loadConfig(platformEnv(database.url, env)), pino({ level: 'silent' }));
  } catch (err) {
    if (!db) await database.drop();
    throw err;
  }
  return {
    ...apiAt(platform.url!),
    platform,
    db: database,
    async stop() {
      await platform.stop();
      if (!db) await database.drop();
    },
  };
}

/** An agent `bench/<name>` on a default provider at `llmUrl` (an OpenAI-compatible base URL). */
export async function createAgent(api: Api, name: string, llmUrl?: string): Promise<void> {
  if (llmUrl)
    await api.json('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'bench', api_endpoint: llmUrl, default_model: 'bench-model', is_default: true },
    });
  await api.json('/api/v1/agents', { method: 'POST', json: { namespace: 'bench', name } });
}

export async function createChat(api: Api, agent: string): Promise<string> {
  return ((await api.json(`/agents/bench/${agent}/chats`, { method: 'POST', json: {} })) as { id: string })
    .id;
}

export interface ChildPlatform {
  readonly url: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** resident set size of the platform process, in MB (now, or its peak) */
  rssMb(field?: 'VmRSS' | 'VmHWM'): Promise<number>;
  /** CPU time used so far, in ms */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** `node --import tsx src/main.ts` on `databaseUrl`; resolves once it listens. */
export async function spawnPlatform(
  databaseUrl: string,
  env: Record<string, string> = {},
  startTimeoutMs = 30_000,
): Promise<ChildPlatform> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...platformEnv(databaseUrl, { LOG_LEVEL: 'info', ...env }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)),
  );
  createInterface({ input: child.stderr! }).on('line', (line) => log(`platform: ${line}`));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the platform did not start in time')), startTimeoutMs);
    void exited.then((code) => reject(new Error(`the platform exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string; level?: number };
        if (entry.msg === 'API listening' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        } else if ((entry.level ?? 0) >= 40) log(`platform: ${line}`);
      } catch {
        log(`platform: ${line}`);
      }
    });
  }).catch(async (err) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });
  return {
    url,
    pid: child.pid!,
    process: child,
    rssMb: (field) => rssMb(child.pid!, field),
    cpuMs: () => cpuMs(child.pid!),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS of a process, from /proc, in MB (`field` VmHWM: its peak). */
export async function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!kb) throw new Error(`no ${field} for process ${pid}`);
  return Number(kb[1]) / 1024;
}

/** CPU time a process has used so far (user + system), in ms; from /proc/<pid>/stat (100 ticks/s). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime: fields 14 and 15 of stat
}

/** This process's soft limit on open files (a child inherits it). */
export async function openFileLimit(): Promise<number> {
  const limits = await readFile('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}
