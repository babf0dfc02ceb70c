/**
 * The port every way of running a Python function sits behind (Docker pool, trusted shared pool,
 * bubblewrap sandbox, WebAssembly interpreters). A run is a pure step of a durable execution: it gets
 * the code, the input, the context and the answers recorded so far for earlier `input()` calls, and
 * ends in one outcome.
 *
 * Isolation: every run names whose code it is (`isolationKey`: the user the run is for and the function
 * version). A worker (process, container, interpreter) that ran code under one key never runs code
 * under another: code can change its interpreter for good (replace `json.loads`, leave a thread), and
 * the next run there would hand it that run's input and access token. Only the trusted shared pool
 * (admin-written code) shares its workers.
 *
 * Pause/resume semantics: the handler is run from the start with `answers`; the n-th `input()`
 * call returns answers[n]. The first `input()` call past the recorded answers ends the run with
 * `awaiting_input` (the process is stopped; nothing waits in memory). Continuing appends the answer
 * and runs again. So a paused execution survives the death of any worker or container.
 */
import type { PoolRecycle, PoolResize, PoolView } from './runners/warm-pool.js';

export interface FunctionContext {
  readonly user_id: string;
  readonly user_email: string | null;
  readonly access_token: string | null;
  readonly execution_id: string;
  readonly trigger_type: string;
  readonly chat_id: string | null;
  /** trusted shared pool only */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface RunRequest {
  readonly executionId: string;
  readonly code: string;
  /** the function's bare name: the legacy entry point when the code defines no `handler` */
  readonly functionName: string;
  readonly input: unknown;
  readonly context: FunctionContext;
  /** answers to earlier `input()` calls, in order */
  readonly answers: readonly unknown[];
  readonly timeoutMs: number;
  /** run in the trusted shared pool (secrets in context) instead of an isolated sandbox */
  readonly sharedPool: boolean;
  /** whose code this is ({@link isolationKey}); a worker never serves two keys */
  readonly isolationKey: string;
}

/** What a worker is bound to: the user a run is for, and the function version it runs. */
export interface IsolationScope {
  readonly userId: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
}

/** One string per (user, function version); distinct scopes never give the same key. */
export function isolationKey(s: IsolationScope): string {
  return JSON.stringify([s.userId, s.namespace, s.name, s.version]);
}

interface RunCommon {
  readonly stdout: string;
  readonly stderr: string;
  /** platform notes for the execution's log (deprecation warnings, truncation) */
  readonly logs: readonly string[];
  readonly containerId: string | null;
  readonly durationMs: number;
}

export type RunOutcome =
  | (RunCommon & { readonly kind: 'completed'; readonly output: unknown })
  | (RunCommon & { readonly kind: 'awaiting_input'; readonly prompt: string })
  | (RunCommon & { readonly kind: 'failed'; readonly error: string; readonly traceback: string | null })
  | (RunCommon & { readonly kind: 'timed_out'; readonly error: string });

export interface RunnerHealth {
  /** 'docker' | 'bubblewrap' | 'wasm' | 'unsafe-subprocess' */
  readonly sandbox: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The workers of a runner's pool and its limits, for the admin views (`GET /api/v1/containers/stats`). */
export interface RunnerPoolView extends PoolView {
  /** 'docker' | 'bubblewrap' | 'wasm' | 'unsafe-subprocess': only Docker's workers are containers */
  readonly sandbox: string;
}

/** The two pools an administrator acts on: the sandbox containers and the trusted shared workers. */
export type PoolName = 'sandbox' | 'shared';

/** An administrator's hold on one warm pool (src/runtime/admin/admin-commands.ts). */
export interface PoolControl {
  resize(target: number): PoolResize;
  recycleIdle(): PoolRecycle;
  /** restarts the worker of that name: 'restarted' (it was idle), 'in_use', or null (none here) */
  restart(name: string): 'restarted' | 'in_use' | null;
}

export interface FunctionRunner {
  /** Runs to one outcome; never throws for anything the code does (only for platform faults). */
  run(request: RunRequest, signal?: AbortSignal): Promise<RunOutcome>;
  health(): RunnerHealth;
  /** its sandbox pool (the trusted shared pool aside) */
  poolView(): RunnerPoolView;
  /** the pool of that name, when this runner has one */
  poolControl(name: PoolName): PoolControl | undefined;
  close(): Promise<void>;
}
