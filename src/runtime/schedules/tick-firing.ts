/**
 * What a claimed tick does, as the schedule's owner: a function schedule requests an execution
 * (trigger SCHEDULE, trigger id the schedule's id) through ExecutionService, whose execute policy
 * checks the owner's right as on every other path; an agent schedule starts a chat titled
 * `<schedule name> — YYYY-MM-DD HH:MM` (the due time in the schedule's zone) with `input_data` as
 * its input, if the owner may chat with the agent, and posts `content` as the owner's message.
 * The execution and chat ids derive from the schedule and the due time, and the command ids from
 * those, so firing the same tick again (a worker finishing a dead one's claim) starts nothing new.
 * A refusal the owner could fix (no right, a missing target, bad input) is a `TickRefused` with
 * the reason, recorded on the tick; anything else is thrown (the claim stays open and is finished later).
 */
import type { ChatService } from '../../commands/chat/chat-service.js';
import type { ExecutionService } from '../../commands/execution/execution-service.js';
import { hasPermission, itemPermission, type PermissionMap } from '../../commands/identity/permissions.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { asChatId, asExecutionId, stableUuid } from '../../events/ids.js';

/** A schedule as its read model row holds it. */
export interface ScheduleItem {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}

export type Fired = { readonly executionId: string } | { readonly chatId: string };

/** A tick the owner's schedule could not fire, for a reason worth showing them. */
export class TickRefused extends Error {}

export interface TickFiringDeps {
  readonly executions: ExecutionService;
  readonly chats: ChatService;
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

export async function fireTick(d: TickFiringDeps, s: ScheduleItem, due: Date): Promise<Fired> {
  try {
    return s.spec.schedule_type === 'agent' ? await startChat(d, s, due) : await runFunction(d, s, due);
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError || err instanceof ValidationError)
      throw new TickRefused(err.message);
    throw err;
  }
}

const target = (s: ScheduleItem) => ({
  namespace: String(s.spec.target_namespace ?? 'default'),
  name: String(s.spec.target_name),
});

async function runFunction(d: TickFiringDeps, s: ScheduleItem, due: Date): Promise<Fired> {
  const executionId = asExecutionId(stableUuid(`schedule/${s.id}/${due.toISOString()}`));
  await d.executions.request(
    target(s),
    s.spec.input_data ?? {},
    { type: 'SCHEDULE', id: s.id },
    { userId: s.ownerId },
    { commandId: `schedule-${executionId}`, executionId },
  );
  return { executionId };
}

async function startChat(d: TickFiringDeps, s: ScheduleItem, due: Date): Promise<Fired> {
  const agent = target(s);
  const chat = itemPermission('agents', { namespaced: true, ...agent }, 'chat', 'all');
  if (!hasPermission(await d.permissionsOf(s.ownerId), chat))
    throw new TickRefused(
      `the owner may no longer chat with agent '${agent.namespace}/${agent.name}' (${chat})`,
    );
  if (typeof s.spec.content !== 'string') throw new TickRefused('an agent schedule needs content');
  const chatId = asChatId(stableUuid(`schedule-chat/${s.id}/${due.toISOString()}`));
  const ctx = { commandId: `schedule-${chatId}`, actor: s.ownerId };
  const title = `${s.name} — ${localMinute(due, String(s.spec.timezone ?? 'UTC'))}`;
  await d.chats.create(
    agent.namespace,
    agent.name,
    { input: s.spec.input_data ?? {}, title },
    ctx,
    null,
    chatId,
  );
  await d.chats.postMessage(
    chatId,
    { content: s.spec.content },
    { ...ctx, commandId: `schedule-msg-${chatId}` },
  );
  return { chatId };
}

/** `YYYY-MM-DD HH:MM` of `at` in `timezone` */
export function localMinute(at: Date, timezone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
