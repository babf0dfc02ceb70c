/**
 * Saved queries as an agent's tools (reference §4.1, §4.3): one tool `query_{ns}__{name}` per
 * active query in the agent's `enabled_queries`, its `input_schema` adjusted by `query_parameters`
 * (locked values hidden and enforced, overridable ones shown as defaults) exactly as functions'
 * are. A call runs with the chat user's permissions (`execute`, own or all, checked at each call)
 * and their `user_id`/`user_email`; the model gets `{rows, row_count}` for a read, `{affected_rows}`
 * (with `rows` and `row_count` when the write returns rows) for a write, `{error, message}` when
 * the query fails. A crashed read runs again (it changes nothing); a crashed write does not.
 */
import type { PermissionMap } from '../../commands/identity/permissions.js';
import { NotFoundError, SinasError } from '../../errors.js';
import type { ToolTarget } from '../../events/chat-events.js';
import type { OfferedTool, ToolChat, ToolFamily, ToolOutcome, ToolRun } from '../turns/tool-family.js';
import { adjustSchema, renderParams } from '../turns/tools.js';
import type { QueryResult } from './query-executor.js';
import type { FoundQuery, QueryRuns } from './query-runs.js';

export const QUERY_FAMILY = 'query';
/** the parameters the server sets: never shown to the model */
const INJECTED = ['user_id', 'user_email'];

export interface QueryFamilyDeps {
  readonly runs: Pick<QueryRuns, 'find' | 'check' | 'run'>;
  /** the chat user's permissions, read at each call */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

export const queryToolName = (namespace: string, name: string) => `query_${namespace}__${name}`;

export function queryFamily(d: QueryFamilyDeps): ToolFamily {
  return {
    family: QUERY_FAMILY,
    offer: (chat) => offer(d, chat),
    run: (call, chat) => run(d, call, chat),
    rerunnable: (target: ToolTarget) => target.ref.operation === 'read',
  };
}

const enabledOf = (chat: ToolChat) => (chat.agentSpec.enabled_queries ?? []) as string[];

async function offer(d: QueryFamilyDeps, chat: ToolChat): Promise<OfferedTool[]> {
  const paramMap = (chat.agentSpec.query_parameters ?? {}) as Record<string, Record<string, unknown>>;
  const out: OfferedTool[] = [];
  for (const ref of enabledOf(chat)) {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    const q = await d.runs
      .find(namespace, name)
      .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    if (!q) continue;
    const params = renderParams(paramMap[ref] ?? {}, chat.input);
    out.push({
      tool: {
        type: 'function',
        function: {
          name: queryToolName(namespace, name),
          description: q.description || `Execute query ${namespace}/${name}`,
          parameters: withoutInjected(adjustSchema(schemaOf(q), params)),
        },
      },
      target: { family: QUERY_FAMILY, ref: { namespace, name, operation: q.spec.operation } },
      params,
      status: { key: `query:${namespace}/${name}`, fallback: `Running query ${name.replace(/_/g, ' ')}` },
    });
  }
  return out;
}

async function run(d: QueryFamilyDeps, call: ToolRun, chat: ToolChat): Promise<ToolOutcome> {
  const { namespace, name } = call.target.ref as { namespace: string; name: string };
  try {
    if (!enabledOf(chat).includes(`${namespace}/${name}`))
      return failed(`query '${namespace}/${name}' is not enabled for this agent`);
    const q = await d.runs.find(namespace, name);
    d.runs.check({ userId: chat.userId, permissions: await d.permissionsOf(chat.userId) }, q);
    const r = await d.runs.run(q, call.arguments, chat.userId);
    return { status: 'ok', result: resultOf(r), detail: detailOf(r) };
  } catch (err) {
    // a refusal is recorded as forbidden; an outage or a bug is not the query's failure
    if (err instanceof SinasError && err.code !== 'forbidden') return failed(err.message);
    throw err;
  }
}

const failed = (message: string): ToolOutcome => ({
  status: 'error',
  result: { error: 'Query execution failed', message },
});

/** What the model sees (reference §4.1), plus `truncated` when the rows were cut at `max_rows`. */
function resultOf(r: QueryResult): Record<string, unknown> {
  const cut = r.truncated ? { truncated: true } : {};
  if (r.operation === 'read') return { rows: r.rows, row_count: r.rowCount, ...cut };
  if (r.rows === null) return { affected_rows: r.affectedRows };
  return { affected_rows: r.affectedRows, rows: r.rows, row_count: r.rowCount, ...cut };
}

function detailOf(r: QueryResult) {
  return {
    duration_ms: r.durationMs,
    row_count: r.rowCount,
    affected_rows: r.affectedRows,
    operation: r.operation,
  };
}

function schemaOf(q: FoundQuery): Record<string, unknown> {
  const s = q.spec.input_schema as Record<string, unknown> | undefined;
  return s && Object.keys(s).length > 0 ? s : { type: 'object' };
}

function withoutInjected(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = { ...(schema.properties as Record<string, unknown>) };
  for (const k of INJECTED) delete properties[k];
  const required = ((schema.required ?? []) as string[]).filter((r) => !INJECTED.includes(r));
  return { ...schema, properties, required };
}
