/**
 * States as an agent's tools and context (reference §3.8 step 5, §4.1, §5.7): the stores in the
 * agent's `enabled_stores` that exist give the chat the state tools (state-tools.ts); a write needs
 * `access: "readwrite"` on the agent and the chat user's `write_state`, a read their `read_state`,
 * checked at each call. Every model round, tool rounds included, the system prompt ends with up to
 * five of the user's or shared states of those stores, most relevant first, under
 * `## Stored Context`. Reads run again after a crash (they change nothing); writes do not.
 */
import type { PermissionMap } from '../../commands/identity/permissions.js';
import { validate } from '../../commands/validation.js';
import { NotFoundError, SinasError } from '../../errors.js';
import type {
  OfferedTool,
  PromptSection,
  ToolChat,
  ToolFamily,
  ToolOutcome,
  ToolRun,
} from '../turns/tool-family.js';
import type { FoundStore, StateCaller } from './state-rules.js';
import type { StateService } from './state-service.js';
import {
  parametersOf,
  STATE_TOOL_OPS,
  STATE_VERBS,
  stateTools,
  storeRef,
  type EnabledStores,
  type StateOp,
} from './state-tools.js';
import type { StateView } from './state-view.js';

export const STATE_FAMILY = 'state';
/** how many states the stored context holds at most */
export const CONTEXT_STATES = 5;

export interface StateFamilyDeps {
  readonly states: Pick<StateService, 'find' | 'write' | 'remove' | 'get' | 'list' | 'context'>;
  /** the chat user's permissions, read at each call */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

interface Enabled {
  readonly store: string;
  readonly access?: 'readonly' | 'readwrite';
}

export function stateFamily(d: StateFamilyDeps): ToolFamily {
  return {
    family: STATE_FAMILY,
    offer: async (chat) => offer(await enabledStores(d, chat)),
    run: (call, chat) => run(d, call, chat),
    rerunnable: (target) => target.ref.op === 'list' || target.ref.op === 'retrieve',
    promptSections: (chat) => storedContext(d, chat),
  };
}

/** The agent's enabled stores that exist, and which of them it may write. */
async function enabledStores(d: StateFamilyDeps, chat: ToolChat): Promise<EnabledStores> {
  const refs = (chat.agentSpec.enabled_stores ?? []) as Enabled[];
  const all: FoundStore[] = [];
  const writable: FoundStore[] = [];
  for (const ref of refs) {
    const [namespace, name] = ref.store.split('/', 2) as [string, string];
    const s = await d.states
      .find(namespace, name)
      .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    if (!s || all.some((a) => a.id === s.id)) continue;
    all.push(s);
    if ((ref.access ?? 'readwrite') === 'readwrite') writable.push(s);
  }
  return { all, writable };
}

function offer(stores: EnabledStores): OfferedTool[] {
  return stateTools(stores).map(({ name, op, tool }) => ({
    tool,
    target: { family: STATE_FAMILY, ref: { op, tool: name } },
    status: { key: `state:${name}`, fallback: `${STATE_VERBS[op]} state` },
  }));
}

async function run(d: StateFamilyDeps, call: ToolRun, chat: ToolChat): Promise<ToolOutcome> {
  const op = STATE_TOOL_OPS[call.target.ref.tool ?? ''];
  try {
    if (!op) return failed(`unknown state tool '${call.target.ref.tool}'`);
    const stores = await enabledStores(d, chat);
    const args = validate<Record<string, unknown>>(parametersOf(op, stores), { ...call.arguments });
    const caller = { userId: chat.userId, permissions: await d.permissionsOf(chat.userId) };
    const result = await runOp(d, op, args, stores, caller, `${chat.chatId}:${call.toolCallId}`);
    return { status: 'ok', result, detail: { op, store: (args.store as string | undefined) ?? null } };
  } catch (err) {
    // a refusal is recorded as forbidden; an outage or a bug is not the call's failure
    if (err instanceof SinasError && err.code !== 'forbidden') return failed(err.message);
    throw err;
  }
}

async function runOp(
  d: StateFamilyDeps,
  op: StateOp,
  a: Record<string, unknown>,
  stores: EnabledStores,
  caller: StateCaller,
  commandId: string,
): Promise<unknown> {
  const pick = (list: readonly FoundStore[]) => list.find((s) => storeRef(s) === a.store)!;
  const filter = {
    ...(typeof a.search === 'string' ? { search: a.search } : {}),
    ...(Array.isArray(a.tags) && a.tags.length ? { tags: a.tags as string[] } : {}),
    limit: a.limit as number,
  };
  switch (op) {
    case 'list':
      return a.store ? listOne(d, caller, pick(stores.all), filter) : listAll(d, caller, stores.all);
    case 'retrieve':
      return retrieve(d, caller, pick(stores.all), a.key as string | undefined, filter);
    case 'save': {
      const w = { key: a.key as string, value: a.value, ...optional(a, 'description', 'tags', 'visibility') };
      const r = await d.states.write(caller, pick(stores.writable), w, 'save', commandId);
      return { success: true, message: `${r.created ? 'Saved' : 'Updated'} state: ${a.store}/${a.key}` };
    }
    case 'delete':
      await d.states.remove(caller, pick(stores.writable), a.key as string, commandId);
      return { success: true, message: `Deleted state: ${a.store}/${a.key}` };
    default: {
      const unreachable: never = op;
      throw new Error(`unknown state operation ${String(unreachable)}`);
    }
  }
}

async function listOne(d: StateFamilyDeps, caller: StateCaller, store: FoundStore, f: { limit: number }) {
  const states = await d.states.list(caller, [store], f);
  const keys = states.map((s) => ({
    key: s.key,
    description: s.description,
    tags: s.tags,
    visibility: s.visibility,
  }));
  return { store: storeRef(store), keys, count: keys.length };
}

async function listAll(d: StateFamilyDeps, caller: StateCaller, stores: readonly FoundStore[]) {
  const out = [];
  let total = 0;
  for (const store of stores) {
    const states = await d.states.list(caller, [store], { limit: 1000 });
    total += states.length;
    out.push({
      store: storeRef(store),
      count: states.length,
      tags: [...new Set(states.flatMap((s) => s.tags))].sort(),
    });
  }
  return { stores: out, total_keys: total };
}

async function retrieve(
  d: StateFamilyDeps,
  caller: StateCaller,
  store: FoundStore,
  key: string | undefined,
  f: { limit: number },
) {
  const states = key
    ? await d.states.get(caller, store, key).then(
        (s) => [s],
        (err: unknown) => (err instanceof NotFoundError ? [] : Promise.reject(err)),
      )
    : await d.states.list(caller, [store], f);
  if (states.length === 0) return { success: true, message: 'No matching states found', states: [] };
  return { success: true, count: states.length, states: states.map(forModel) };
}

const forModel = (s: StateView) => ({
  store: `${s.store_namespace}/${s.store_name}`,
  key: s.key,
  value: s.value,
  description: s.description,
  tags: s.tags,
  visibility: s.visibility,
  created_at: s.created_at,
  updated_at: s.updated_at,
});

function optional(a: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));
}

const failed = (message: string): ToolOutcome => ({ status: 'error', result: { error: message } });

/**
 * Up to five states of the enabled stores the chat's user may read (their own or shared, not
 * expired), most relevant first, as `## Stored Context` after the output-schema instruction.
 */
async function storedContext(d: StateFamilyDeps, chat: ToolChat): Promise<PromptSection[]> {
  const { all } = await enabledStores(d, chat);
  if (all.length === 0) return [];
  const caller = { userId: chat.userId, permissions: await d.permissionsOf(chat.userId) };
  const states = await d.states.context(caller, all, CONTEXT_STATES);
  if (states.length === 0) return [];
  const blocks = states.map(
    (s) =>
      `${s.store_namespace}/${s.store_name}/${s.key}${s.description ? ` - ${s.description}` : ''}\n` +
      '```json\n' +
      JSON.stringify(s.value, null, 2) +
      '\n```',
  );
  return [{ place: 'after_output_schema', text: `\n\n## Stored Context\n\n${blocks.join('\n\n')}` }];
}
