/**
 * Components as agent tools (reference §4.1, §5.9): each entry of `enabled_components` naming an
 * active component the chat's user may read is offered as `show_component_{ns}_{name}` (`-` → `_`),
 * its parameters the component's `input_schema`. A call checks the arguments against it and
 * answers the component block the front end renders: `{type:"component", namespace, name, title,
 * input, compile_status, render_token, display}`, the render token issued to the chat's user. The
 * tool carries its component in its target, so names with underscores resolve (the original split
 * the tool name on `_` and could not).
 */
import { coerceAndValidateInput } from '../../commands/chat/chat-input.js';
import { canAct, type PermissionMap } from '../../commands/identity/permissions.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { JSONSchema } from '../../commands/validation.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { OfferedTool, ToolChat, ToolFamily, ToolRun } from '../turns/tool-family.js';
import type { ComponentBuilds } from './component-builds.js';
import type { RenderTokens } from './render-tokens.js';

export const COMPONENT_FAMILY = 'component';

export interface ComponentFamilyDeps {
  /** the Component kind's service (`services.kinds.components`) */
  readonly components: Pick<ResourceService, 'current'>;
  readonly builds: Pick<ComponentBuilds, 'of'>;
  readonly tokens: Pick<RenderTokens, 'sign'>;
  /** the chat user's permissions, read at each round and call */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

type Component = Awaited<ReturnType<ResourceService['current']>>;

/** `show_component_{ns}_{name}`, `-` → `_` (reference §4.1). */
export const componentToolName = (namespace: string, name: string) =>
  `show_component_${namespace}_${name}`.replace(/-/g, '_');

export function componentFamily(d: ComponentFamilyDeps): ToolFamily {
  return {
    family: COMPONENT_FAMILY,
    offer: async (chat) => (await readable(d, chat)).map(offered),
    run: (call, chat) => run(d, call, chat),
    // it only issues a token: running it again changes nothing
    rerunnable: () => true,
  };
}

const refsOf = (chat: ToolChat) =>
  ((chat.agentSpec.enabled_components ?? []) as string[]).map((ref) => {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    return { namespace, name };
  });

async function readable(d: ComponentFamilyDeps, chat: ToolChat): Promise<Component[]> {
  const refs = refsOf(chat);
  if (refs.length === 0) return [];
  const permissions = await d.permissionsOf(chat.userId);
  const found = await Promise.all(refs.map((r) => readOne(d, r, chat.userId, permissions)));
  return found.filter((c): c is Component => c !== undefined);
}

async function readOne(
  d: ComponentFamilyDeps,
  ref: { namespace: string; name: string },
  userId: string,
  permissions: PermissionMap,
): Promise<Component | undefined> {
  const c = await d.components
    .current(ref.namespace, ref.name)
    // a component named by the agent but deleted (or never made) is simply not there
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
  if (!c || c.status !== 'active') return undefined;
  const may = canAct(permissions, {
    resource: 'components',
    action: 'read',
    namespaced: true,
    namespace: ref.namespace,
    name: ref.name,
    ownerId: c.ownerId,
    callerId: userId,
    // a shared or public component is readable by every reader, as on the API (component-kind.ts)
    visibility: String(c.spec.visibility ?? 'private'),
  });
  return may ? c : undefined;
}

const titleOf = (c: Component) => (typeof c.spec.title === 'string' ? c.spec.title : c.name);
const schemaOf = (c: Component): JSONSchema => {
  const s = (c.spec.input_schema ?? {}) as JSONSchema;
  return Object.keys(s).length > 0 ? s : { type: 'object', properties: {} };
};

function offered(c: Component): OfferedTool {
  const described = typeof c.spec.description === 'string' ? c.spec.description : undefined;
  return {
    tool: {
      type: 'function',
      function: {
        name: componentToolName(c.namespace, c.name),
        description: described ?? `Show the component '${titleOf(c)}' to the user`,
        parameters: schemaOf(c),
      },
    },
    target: { family: COMPONENT_FAMILY, ref: { namespace: c.namespace, name: c.name } },
    status: { key: `component:${c.namespace}/${c.name}`, fallback: `Rendering ${titleOf(c)}` },
  };
}

async function run(d: ComponentFamilyDeps, call: ToolRun, chat: ToolChat) {
  const { namespace, name } = call.target.ref as { namespace: string; name: string };
  if (!refsOf(chat).some((r) => r.namespace === namespace && r.name === name))
    throw new ForbiddenError(`component '${namespace}/${name}' is not enabled for this agent`);
  const c = await readOne(d, { namespace, name }, chat.userId, await d.permissionsOf(chat.userId));
  if (!c) throw new ForbiddenError(`component '${namespace}/${name}' is not available to this chat's user`);
  const input = coerceAndValidateInput(schemaOf(c), { ...call.arguments });
  const build = await d.builds.of(c);
  const title = titleOf(c);
  const block = {
    type: 'component',
    namespace,
    name,
    title,
    input,
    compile_status: build.status,
    render_token: await d.tokens.sign({ namespace, name, userId: chat.userId }),
    display: `[USER WILL SEE COMPONENT '${title}' HERE]`,
  };
  return { status: 'ok' as const, result: block };
}
