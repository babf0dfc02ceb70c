/**
 * `sinas replay chat <id> [--as-of N]`: a chat's timeline in the terminal — its messages, turns,
 * tool calls, approvals (who, why) and the executions they ran (pauses, resumes, results), in commit
 * order, indented by what caused what, coloured by kind. `--as-of N` stops at the chat's revision N.
 */
import type pg from 'pg';
import { chatTimeline } from '../audit/timeline.js';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { categoryOf } from '../events/stream-names.js';
import { versionOfRevision } from '../events/versions.js';

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColour ? `\x1b[${code}m${s}\x1b[0m` : s);
const dim = paint(2);
const colours: Record<string, (s: string) => string> = {
  user: paint(36),
  assistant: paint(32),
  approval: paint(33),
  tool: paint(35),
  execution: paint(34),
  failure: paint(31),
  config: dim,
};

function clip(s: unknown, n = 160): string {
  const text = typeof s === 'string' ? s : JSON.stringify(s);
  const one = (text ?? '').replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

/** ` [+ image image/png 1234 bytes]` per non-text part of a message (never its bytes) */
function partsNote(parts: unknown): string {
  if (!Array.isArray(parts)) return '';
  return (
    parts as { type: string; source?: { kind: string; url?: string; mime_type?: string; size?: number } }[]
  )
    .filter((p) => p.type !== 'text' && p.source)
    .map((p) =>
      p.source!.kind === 'url'
        ? ` [+ ${p.type} ${p.source!.url}]`
        : ` [+ ${p.type} ${p.source!.mime_type} ${p.source!.size} bytes]`,
    )
    .join('');
}

/** ` (forked from <id> at <revision>)` for a fork's ChatCreated */
function forkedFrom(origin: unknown): string {
  const o = origin as { chatId: string; revision: number } | undefined;
  return o ? ` (forked from ${o.chatId} at ${o.revision})` : '';
}

/** [indent depth, colour kind, one-line text] for an event. */
export function describe(e: RecordedEvent): [number, string, string] {
  const d = e.data as Record<string, unknown>;
  const category = categoryOf(e.streamName);
  if (category === 'agent' || category === 'function')
    return [
      0,
      'config',
      `${e.type} ${e.streamName.slice(category.length + 1)} v${versionOfRevision(e.revision)}`,
    ];
  if (category === 'execution') {
    switch (e.type) {
      case 'ExecutionRequested': {
        const f = d.function as { namespace: string; name: string; version: number };
        return [
          3,
          'execution',
          `execution ${clip(d.executionId, 36)} of ${f.namespace}/${f.name} v${f.version} requested (${String(d.triggerType)}) with ${clip(d.input, 80)}`,
        ];
      }
      case 'ExecutionStarted':
        return [3, 'execution', `run ${String(d.run)} started on ${String(d.worker)}`];
      case 'ExecutionAwaitingInput':
        return [3, 'execution', `paused for input: "${clip(d.prompt)}"`];
      case 'ExecutionResumed':
        return [3, 'execution', `resumed by ${String(d.by)} with ${clip(d.answer)}`];
      case 'ExecutionCompleted':
        return [3, 'execution', `completed in ${String(d.durationMs)} ms: ${clip(d.output)}`];
      default:
        return [3, 'failure', `${e.type}: ${clip(d.error ?? d.by ?? '')}`];
    }
  }
  switch (e.type) {
    case 'ChatCreated': {
      const a = d.agent as { namespace: string; name: string };
      return [
        0,
        'config',
        `chat created by ${String(d.userId)} with ${a.namespace}/${a.name} v${String(d.agentVersion)}${forkedFrom(d.forkedFrom)}`,
      ];
    }
    case 'ChatForked':
      return [0, 'config', `forked to ${String(d.forkId)} at ${String(d.revision)} by ${String(d.userId)}`];
    case 'UserMessagePosted':
      return [0, 'user', `user: ${clip(d.content)}${partsNote(d.parts)}`];
    case 'UserMessageRewritten':
      return [1, 'user', `rewritten by ${String(d.by)}: ${clip(d.content)}`];
    case 'TurnStarted':
      return [
        1,
        'assistant',
        `model call ${String(d.attempt)}: ${String(d.model)} via ${String(d.provider)}`,
      ];
    case 'AssistantMessageCompleted': {
      const calls = (d.calls as { name: string; arguments: unknown }[] | undefined) ?? [];
      const text = calls.length
        ? `asks for ${calls.map((c) => `${c.name}(${clip(c.arguments, 60)})`).join(', ')}`
        : `assistant: ${clip(d.content)}`;
      return [1, 'assistant', text];
    }
    case 'AssistantMessageRevised':
      return [1, 'assistant', `revised by ${String(d.by)}: ${clip(d.content)}`];
    case 'ToolApprovalRequested':
      return [2, 'approval', `approval requested for ${String(d.toolCallId)}`];
    case 'ToolApprovalDecided':
      return [
        2,
        'approval',
        `${d.approved ? 'approved' : 'rejected'} by ${String(d.by)}${d.reason ? `: "${clip(d.reason)}"` : ''}`,
      ];
    case 'ToolCallStarted':
      return [
        2,
        'tool',
        `tool ${String(d.name)} started (${d.executionId ? `execution ${String(d.executionId)}` : 'inline'})`,
      ];
    case 'ToolCallCompleted':
      return [
        2,
        d.status === 'ok' ? 'tool' : 'failure',
        `tool ${String(d.name)} ${String(d.status)}: ${clip(d.result)}`,
      ];
    case 'TurnFailed':
      return [1, 'failure', `turn failed: ${clip(d.error)}`];
    case 'TurnCancelled':
      return [1, 'failure', `turn cancelled by ${String(d.by)}`];
    default:
      return [1, 'config', `${e.type} ${clip(d, 100)}`];
  }
}

export async function replayChat(
  pool: pg.Pool,
  store: EventStore,
  chatId: string,
  asOf: number | undefined,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const { rows } = await pool
    .query<{ id: string }>(`SELECT id FROM executions WHERE chat_id = $1 AND trigger_type = 'HOOK'`, [chatId])
    .catch(() => ({ rows: [] as { id: string }[] }));
  const events = await chatTimeline(
    store,
    chatId,
    rows.map((r) => r.id),
  );
  const chat = events.filter((e) => e.streamName === `chat-${chatId}`);
  if (chat.length === 0) {
    console.error(`sinas: no chat ${chatId}`);
    return 1;
  }
  const stopAt = asOf === undefined ? undefined : chat.find((e) => e.revision === BigInt(asOf))?.position;
  if (asOf !== undefined && stopAt === undefined) {
    console.error(`sinas: the chat has no revision ${asOf} (its last is ${chat.at(-1)!.revision})`);
    return 1;
  }
  const seen = new Set<string>();
  const ordered = events
    .filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)))
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
    .filter((e) => stopAt === undefined || e.position <= stopAt);
  write(`chat ${chatId}${asOf !== undefined ? ` as of revision ${asOf}` : ''}: ${ordered.length} events`);
  for (const e of ordered) {
    const [depth, kind, text] = describe(e);
    const time = e.createdAt.toISOString().replace('T', ' ').slice(0, 23);
    write(`${dim(`${time} #${e.position}`)} ${'  '.repeat(depth)}${(colours[kind] ?? dim)(text)}`);
  }
  return 0;
}
