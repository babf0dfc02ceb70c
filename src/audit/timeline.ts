/**
 * Timelines (issue 6): every event that concerns a chat or an execution — its own stream, the
 * executions its tool calls and hooks ran, the approvals, the forks made of it, and the configuration versions it ran
 * under (the agent's and the functions' events up to the versions used) — merged in commit order,
 * each with its actor and correlation/causation ids, so a reader can follow message → model call →
 * tool call → approval → execution → pause → resume → result. A reader sees each event as the read
 * filter (visibility.ts) decides: whole, as a reference without its data, or not at all.
 */
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { streams } from '../events/stream-names.js';
import { upcast } from '../events/upcasters.js';
import { versionOfRevision } from '../events/versions.js';
import type { Reference, Sight, Viewer } from './visibility.js';

export interface TimelineItem {
  readonly position: string;
  readonly stream: string;
  readonly revision: string;
  /** the version of its stream once this event is in it (revision + 1) */
  readonly version: number;
  readonly type: string;
  readonly at: string;
  readonly actor: string;
  readonly correlation_id: string;
  readonly causation_id: string;
  readonly event_id: string;
  /** null when the reader may not read it: then `reference` says what it is about */
  readonly data: unknown;
  readonly reference?: Reference;
}

export interface TimelinePage {
  readonly items: TimelineItem[];
  readonly next_after: string | null;
}

export interface TimelineFilter {
  readonly types?: readonly string[];
  readonly from?: Date;
  readonly to?: Date;
  readonly after?: bigint;
  readonly limit: number;
}

const item = (e: RecordedEvent, sight: Sight): TimelineItem => ({
  position: e.position.toString(),
  stream: e.streamName,
  revision: e.revision.toString(),
  version: versionOfRevision(e.revision),
  type: e.type,
  at: e.createdAt.toISOString(),
  actor: e.metadata.actor,
  correlation_id: e.metadata.correlationId,
  causation_id: e.metadata.causationId,
  event_id: e.id,
  ...(sight.kind === 'reference' ? { data: null, reference: sight.reference } : { data: e.data }),
});

/** The events of a resource stream up to (and including) `version` (versions count from 1). */
async function upTo(store: EventStore, stream: string, version: number): Promise<RecordedEvent[]> {
  return store.readStream(stream, { fromRevision: 0n, maxCount: version });
}

/** A stream's events as they read now (older ones upcast: the versions they name count from 1). */
async function read(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  return (await store.readStream(stream)).map(upcast);
}

/** An execution's stream and the function versions it ran, plus the chat events about its tool call. */
async function executionEvents(store: EventStore, executionId: string): Promise<RecordedEvent[]> {
  const events = await read(store, streams.execution(executionId));
  const requested = events[0]?.data as
    | {
        function?: { namespace: string; name: string; version: number };
        chatId?: string | null;
        toolCallId?: string | null;
      }
    | undefined;
  const out = [...events];
  if (requested?.function)
    out.push(
      ...(await upTo(
        store,
        streams.function(requested.function.namespace, requested.function.name),
        requested.function.version,
      )),
    );
  return out;
}

export async function chatTimeline(
  store: EventStore,
  chatId: string,
  hookExecutions: readonly string[],
): Promise<RecordedEvent[]> {
  const chat = await read(store, streams.chat(chatId));
  // the forks made of it ("forked to <id> at <revision>"); a fork's own ChatCreated says where it came from
  const all = [...chat, ...(await read(store, streams.chatForks(chatId)))];
  const created = chat[0]?.data as { agent?: { namespace: string; name: string } } | undefined;
  let agentVersion = 0;
  const executions = new Set(hookExecutions);
  for (const e of chat) {
    const d = e.data as { agentVersion?: number; executionId?: string | null };
    if (typeof d.agentVersion === 'number') agentVersion = Math.max(agentVersion, d.agentVersion);
    if (e.type === 'ToolCallStarted' && d.executionId) executions.add(d.executionId);
  }
  if (created?.agent && agentVersion > 0)
    all.push(
      ...(await upTo(store, streams.agent(created.agent.namespace, created.agent.name), agentVersion)),
    );
  for (const id of executions) all.push(...(await executionEvents(store, id)));
  return all;
}

export async function executionTimeline(store: EventStore, executionId: string): Promise<RecordedEvent[]> {
  const all = await executionEvents(store, executionId);
  const requested = all[0]?.data as { chatId?: string | null; toolCallId?: string | null } | undefined;
  if (requested?.chatId && requested.toolCallId) {
    const chat = await read(store, streams.chat(requested.chatId));
    const messageOf = chat.find(
      (e) =>
        e.type === 'AssistantMessageCompleted' &&
        ((e.data as { calls?: { id: string }[] }).calls ?? []).some((c) => c.id === requested.toolCallId),
    );
    all.push(
      ...chat.filter(
        (e) => e === messageOf || (e.data as { toolCallId?: string }).toolCallId === requested.toolCallId,
      ),
    );
  }
  return all;
}

/**
 * Merged in commit order (each event once), filtered, shown as `view` lets the reader see each
 * (hidden events left out before paging, so pages stay full), and paged by position.
 */
export async function page(
  events: readonly RecordedEvent[],
  f: TimelineFilter,
  view: Viewer,
): Promise<TimelinePage> {
  const seen = new Set<string>();
  const sorted = events
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
    .filter(
      (e) =>
        (f.after === undefined || e.position > f.after) &&
        (!f.types?.length || f.types.includes(e.type)) &&
        (!f.from || e.createdAt >= f.from) &&
        (!f.to || e.createdAt <= f.to),
    );
  const items: TimelineItem[] = [];
  let more = false;
  for (const e of sorted) {
    const sight = await view(e);
    if (sight.kind === 'hidden') continue;
    if (items.length === f.limit) {
      more = true;
      break;
    }
    items.push(item(e, sight));
  }
  return { items, next_after: more ? items.at(-1)!.position : null };
}

/**
 * The timelines the chat and execution routes serve, read from the store: a page of one, as the
 * reader's view shows it. A chat's include the executions its hooks ran (`hookExecutionsOf`).
 */
export class Timelines {
  constructor(
    private readonly store: EventStore,
    private readonly hookExecutionsOf: (chatId: string) => Promise<readonly string[]>,
  ) {}

  async chat(chatId: string, f: TimelineFilter, view: Viewer): Promise<TimelinePage> {
    return page(await chatTimeline(this.store, chatId, await this.hookExecutionsOf(chatId)), f, view);
  }

  /** undefined when the store holds no such execution */
  async execution(executionId: string, f: TimelineFilter, view: Viewer): Promise<TimelinePage | undefined> {
    const events = await executionTimeline(this.store, executionId);
    return events.length === 0 ? undefined : page(events, f, view);
  }
}
