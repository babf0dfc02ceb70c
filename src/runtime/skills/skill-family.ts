/**
 * Skills as an agent's context and tools (reference §5.6, §4.1): each entry of `enabled_skills`
 * naming an active skill the chat's user may read (`sinas.skills/<ns>/<name>.read`, own or all, as
 * now) is either preloaded — its markdown in the system prompt of every model round, tool rounds
 * included, under `# Preloaded Skills` — or offered as a `get_skill_{ns}_{name}` tool (`-` → `_`)
 * that returns the markdown. The tool carries its skill in its target, so a name with underscores
 * resolves to the right skill (the original split the name on `_` and could not). Every call reads
 * the skill and the user's permissions again; a skill the user may not read is neither shown nor run.
 */
import { canAct, type PermissionMap } from '../../commands/identity/permissions.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import { statusOf } from '../turns/status-text.js';
import type { OfferedTool, PromptSection, ToolChat, ToolFamily, ToolRun } from '../turns/tool-family.js';

export const SKILL_FAMILY = 'skill';

export interface SkillFamilyDeps {
  /** the Skill kind's service (`services.kinds.skills`) */
  readonly skills: Pick<ResourceService, 'current'>;
  /** the chat user's permissions, read at each round and call */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

interface Enabled {
  readonly namespace: string;
  readonly name: string;
  readonly preload: boolean;
}

interface Readable extends Enabled {
  readonly description: string;
  readonly content: string;
}

/** `get_skill_{ns}_{name}`, `-` → `_` (reference §4.1). */
export const skillToolName = (namespace: string, name: string) =>
  `get_skill_${namespace}_${name}`.replace(/-/g, '_');

export function skillFamily(d: SkillFamilyDeps): ToolFamily {
  return {
    family: SKILL_FAMILY,
    offer: async (chat) => (await readable(d, chat)).filter((s) => !s.preload).map(offered),
    run: (call, chat) => run(d, call, chat),
    // reading a skill changes nothing
    rerunnable: () => true,
    promptSections: async (chat) => preloaded((await readable(d, chat)).filter((s) => s.preload)),
  };
}

function enabledOf(chat: ToolChat): Enabled[] {
  const list = (chat.agentSpec.enabled_skills ?? []) as { skill: string; preload?: boolean }[];
  return list.map((e) => {
    const [namespace, name] = e.skill.split('/', 2) as [string, string];
    return { namespace, name, preload: e.preload === true };
  });
}

/** The enabled skills that exist, are active and the chat's user may read, in the agent's order. */
async function readable(d: SkillFamilyDeps, chat: ToolChat): Promise<Readable[]> {
  const enabled = enabledOf(chat);
  if (enabled.length === 0) return [];
  const permissions = await d.permissionsOf(chat.userId);
  const found = await Promise.all(enabled.map((e) => readOne(d, e, chat.userId, permissions)));
  return found.filter((s): s is Readable => s !== undefined);
}

async function readOne(
  d: SkillFamilyDeps,
  e: Enabled,
  userId: string,
  permissions: PermissionMap,
): Promise<Readable | undefined> {
  const skill = await d.skills
    .current(e.namespace, e.name)
    // a skill named by the agent but deleted (or never made) is simply not there
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
  if (!skill || skill.status !== 'active') return undefined;
  const may = canAct(permissions, {
    resource: 'skills',
    action: 'read',
    namespaced: true,
    namespace: e.namespace,
    name: e.name,
    ownerId: skill.ownerId,
    callerId: userId,
  });
  if (!may) return undefined;
  return { ...e, description: String(skill.spec.description), content: String(skill.spec.content) };
}

function offered(s: Readable): OfferedTool {
  const name = skillToolName(s.namespace, s.name);
  return {
    tool: {
      type: 'function',
      function: { name, description: s.description, parameters: { type: 'object', properties: {} } },
    },
    target: { family: SKILL_FAMILY, ref: { namespace: s.namespace, name: s.name } },
    status: statusOf(name),
  };
}

/** `# Preloaded Skills`, then each as `# Skill: ns/name` and its content, joined by `---` (§5.6). */
function preloaded(skills: readonly Readable[]): PromptSection[] {
  if (skills.length === 0) return [];
  const body = skills.map((s) => `# Skill: ${s.namespace}/${s.name}\n\n${s.content}`).join('\n\n---\n\n');
  return [{ place: 'before_output_schema', text: `\n\n# Preloaded Skills\n\n${body}` }];
}

async function run(d: SkillFamilyDeps, call: ToolRun, chat: ToolChat) {
  const { namespace, name } = call.target.ref as { namespace: string; name: string };
  const entry = enabledOf(chat).find((e) => e.namespace === namespace && e.name === name);
  if (!entry) throw new ForbiddenError(`skill '${namespace}/${name}' is not enabled for this agent`);
  const skill = await readOne(d, entry, chat.userId, await d.permissionsOf(chat.userId));
  if (!skill) throw new ForbiddenError(`skill '${namespace}/${name}' is not available to this chat's user`);
  return { status: 'ok' as const, result: skill.content };
}
