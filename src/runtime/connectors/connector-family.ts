/**
 * Connector operations as tools (reference §4.1, §4.3): `connector__{ns}__{name}__{operation}` for
 * each operation an agent's `enabled_connectors[]` entry lists (every one when it lists none), of
 * connectors that exist and are active. Every value in the entry's `parameters[operation]` is
 * locked: hidden from the model's schema and applied over its arguments when the call runs (the
 * original lets the model override them: fixed here). A value that cannot be rendered with the
 * chat's input leaves its tool out rather than unlocked. Only a GET may run again after a crash.
 */
import type { Logger } from 'pino';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ToolTarget } from '../../events/chat-events.js';
import { renderTemplate } from '../turns/templates.js';
import type { OfferedTool, ToolChat, ToolFamily, ToolOutcome } from '../turns/tool-family.js';
import { ConnectorCallError, type ConnectorClient } from './connector-client.js';
import { connectorSpec, type ConnectorOperation, type ConnectorSpec } from './connector-spec.js';

export const CONNECTOR_FAMILY = 'connector';

/** An active connector by namespace and name; undefined when it is missing or inactive. */
export type ConnectorLookup = (namespace: string, name: string) => Promise<ConnectorSpec | undefined>;

interface Enabled {
  readonly connector: string;
  readonly operations?: readonly string[];
  readonly parameters?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export const toolName = (ns: string, name: string, op: string) => `connector__${ns}__${name}__${op}`;

export function connectorFamily(
  connectors: ConnectorLookup,
  client: ConnectorClient,
  log?: Pick<Logger, 'warn'>,
): ToolFamily {
  return {
    family: CONNECTOR_FAMILY,
    async offer(chat) {
      const offered = await Promise.all(enabledOf(chat).map((e) => offerEntry(e, chat)));
      return offered.flat();
    },
    async run(call, chat) {
      const { namespace, name, operation } = call.target.ref as Record<string, string>;
      const entry = enabledOf(chat).find((e) => e.connector === `${namespace}/${name}`);
      const connector = await connectors(namespace!, name!);
      if (!entry || !connector) return failed(`connector '${namespace}/${name}' is not available`);
      const op = connector.operations.find((o) => o.name === operation);
      if (!op || !offers(entry, op)) return failed(`operation '${operation}' is not available`);
      // locked values win over whatever arrived with the call
      const args = { ...call.arguments, ...lockedValues(entry, op, chat) };
      return runCall(client, connector, op, args, chat.userId, call.signal);
    },
    rerunnable: (target: ToolTarget) => target.ref.method === 'GET',
  };

  async function offerEntry(entry: Enabled, chat: ToolChat): Promise<OfferedTool[]> {
    const [namespace, name] = splitRef(entry.connector);
    const connector = await connectors(namespace, name);
    if (!connector) return [];
    return connector.operations
      .filter((op) => offers(entry, op))
      .flatMap((op) => {
        try {
          return [offerOne(connector, op, lockedValues(entry, op, chat))];
        } catch (err) {
          log?.warn(
            { err, tool: toolName(namespace, name, op.name) },
            'connector tool left out: a locked parameter did not render',
          );
          return [];
        }
      });
  }
}

function offerOne(c: ConnectorSpec, op: ConnectorOperation, locked: Record<string, unknown>): OfferedTool {
  return {
    tool: {
      type: 'function',
      function: {
        name: toolName(c.namespace, c.name, op.name),
        description: `[${c.namespace}/${c.name}] ${op.description || `${op.method} ${op.path}`}`,
        parameters: withoutLocked(op.parameters, Object.keys(locked)),
      },
    },
    target: {
      family: CONNECTOR_FAMILY,
      ref: { namespace: c.namespace, name: c.name, operation: op.name, method: op.method },
    },
    params: { locked, overridable: {} },
    status: { key: `connector:${c.namespace}/${c.name}/${op.name}`, fallback: `Calling ${op.name}` },
  };
}

async function runCall(
  client: ConnectorClient,
  connector: ConnectorSpec,
  op: ConnectorOperation,
  args: Record<string, unknown>,
  userId: string,
  signal: AbortSignal,
): Promise<ToolOutcome> {
  try {
    const { result, detail } = await client.call(connector, op, args, userId, signal);
    return { status: 'ok', result, detail: { ...detail } };
  } catch (err) {
    if (err instanceof ConnectorCallError)
      return {
        status: 'error',
        result: { error: err.message },
        detail: { ...err.detail, error: err.message },
      };
    if (err instanceof ValidationError) return failed(err.message);
    throw err;
  }
}

const failed = (message: string): ToolOutcome => ({ status: 'error', result: { error: message } });

function enabledOf(chat: ToolChat): Enabled[] {
  const list = chat.agentSpec.enabled_connectors;
  return Array.isArray(list) ? (list as Enabled[]).filter((e) => typeof e?.connector === 'string') : [];
}

function splitRef(ref: string): [string, string] {
  const at = ref.indexOf('/');
  return [ref.slice(0, at), ref.slice(at + 1)];
}

const offers = (entry: Enabled, op: ConnectorOperation) =>
  !entry.operations || entry.operations.length === 0 || entry.operations.includes(op.name);

/** the entry's values for `op`, strings holding `{{` rendered with the chat's input; throws if one cannot be */
function lockedValues(entry: Enabled, op: ConnectorOperation, chat: ToolChat): Record<string, unknown> {
  const values = entry.parameters?.[op.name] ?? {};
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      typeof v === 'string' && v.includes('{{') ? renderTemplate(v, chat.input) : v,
    ]),
  );
}

/** the schema without the locked properties, in `properties` and `required` */
function withoutLocked(
  schema: Readonly<Record<string, unknown>>,
  locked: readonly string[],
): Record<string, unknown> {
  if (locked.length === 0) return { ...schema };
  const properties = { ...((schema.properties as Record<string, unknown> | undefined) ?? {}) };
  for (const k of locked) delete properties[k];
  const required = Array.isArray(schema.required)
    ? (schema.required as string[]).filter((r) => !locked.includes(r))
    : undefined;
  return { ...schema, properties, ...(required ? { required } : {}) };
}

/** The lookup on the Connector kind's service: its latest version, when it exists and is active. */
export function connectorLookup(
  current: (
    ns: string,
    name: string,
  ) => Promise<{
    readonly namespace: string;
    readonly name: string;
    readonly status: string;
    readonly spec: Readonly<Record<string, unknown>>;
  }>,
): ConnectorLookup {
  return async (namespace, name) => {
    try {
      const item = await current(namespace, name);
      if (item.status !== 'active') return undefined;
      return connectorSpec(item);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
}
