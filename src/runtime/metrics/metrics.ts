/**
 * The process's Prometheus metrics (prom-client, on a registry of its own so two platforms in one
 * process never mix). What happens in a hot path is counted synchronously and never awaited:
 * requests as they finish, and turns, tool calls and executions from the events this process
 * appends (counting-event-store.ts). What is a level (queue depth, projection lag, open streams,
 * the warm pool's hits and misses) is read only when scraped, from the ports that know it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NewEvent } from '../../events/event-store.js';
import { isForkCopy } from '../../events/fork-copies.js';
import { statusOf } from '../turns/status-text.js';

/** What a scrape reads the levels from (each may fail: that scrape then lacks the series). */
export interface MetricSources {
  /** per queue, jobs by state */
  queueDepths(): Promise<Readonly<Record<string, Readonly<Record<string, number>>>>>;
  /** per projection, `$all` positions between its checkpoint and the head */
  projectionLag(): Promise<Readonly<Record<string, number>>>;
  /** the function runner's warm pool, when this process runs functions */
  pool(): { readonly hits: number; readonly misses: number } | undefined;
  /** SSE streams this process has open */
  openStreams(): number;
}

const EXECUTION_OUTCOMES: Readonly<Record<string, string>> = {
  ExecutionCompleted: 'completed',
  ExecutionFailed: 'failed',
  ExecutionTimedOut: 'timed_out',
  ExecutionCancelled: 'cancelled',
};

export class Metrics {
  readonly registry = new Registry();
  private sources: MetricSources | undefined;
  private readonly requests = new Counter({
    name: 'sinas_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'sinas_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly turnsStarted = new Counter({
    name: 'sinas_turns_started_total',
    help: 'Turn attempts started (model rounds recorded as TurnStarted) by this process',
    registers: [this.registry],
  });
  private readonly turnsEnded = new Counter({
    name: 'sinas_turns_ended_total',
    help: 'Turns ended by outcome (completed, failed, cancelled) by this process',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly toolCalls = new Counter({
    name: 'sinas_tool_calls_total',
    help: 'Tool calls started by kind (function, agent, skill, query, collection, state, component)',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly executions = new Counter({
    name: 'sinas_executions_total',
    help: 'Function executions ended by outcome (completed, failed, timed_out, cancelled) in this process',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor() {
    const sources = () => this.sources; // `this` in collect() is the metric
    new Gauge({
      name: 'sinas_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const depths = await sources()?.queueDepths();
        for (const [queue, states] of Object.entries(depths ?? {}))
          for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      },
    });
    new Gauge({
      name: 'sinas_projection_lag_positions',
      help: "$all positions between each projection's checkpoint and the head of the event store",
      labelNames: ['projection'],
      registers: [this.registry],
      async collect() {
        this.reset();
        const lag = await sources()?.projectionLag();
        for (const [projection, n] of Object.entries(lag ?? {})) this.set({ projection }, n);
      },
    });
    new Gauge({
      name: 'sinas_sse_streams_open',
      help: 'Server-Sent Events streams open in this process',
      registers: [this.registry],
      collect() {
        this.set(sources()?.openStreams() ?? 0);
      },
    });
    new Counter({
      name: 'sinas_function_pool_acquires_total',
      help: "Function worker acquires from this process's warm pool: hit (a worker was ready) or miss",
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        const pool = sources()?.pool();
        this.reset();
        if (!pool) return;
        this.inc({ result: 'hit' }, pool.hits);
        this.inc({ result: 'miss' }, pool.misses);
      },
    });
  }

  /** Where the levels come from: set once the process has built its services. */
  readFrom(sources: MetricSources): void {
    this.sources = sources;
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  /**
   * Counts what appended events say happened (synchronous; called after the append). A fork's copy
   * of its original's history happened once, in the original: not counted again.
   */
  appended(events: readonly NewEvent[]): void {
    for (const e of events) {
      if (isForkCopy(e)) continue;
      if (e.type === 'TurnStarted') this.turnsStarted.inc();
      else if (e.type === 'TurnFailed') this.turnsEnded.inc({ outcome: 'failed' });
      else if (e.type === 'TurnCancelled') this.turnsEnded.inc({ outcome: 'cancelled' });
      else if (e.type === 'AssistantMessageCompleted' && e.data.endsTurn !== false)
        this.turnsEnded.inc({ outcome: 'completed' });
      else if (e.type === 'ToolCallStarted')
        this.toolCalls.inc({ kind: statusOf(String(e.data.name)).key.split(':')[0]! });
      else if (EXECUTION_OUTCOMES[e.type]) this.executions.inc({ outcome: EXECUTION_OUTCOMES[e.type]! });
    }
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
