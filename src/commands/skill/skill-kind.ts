/**
 * The Skill kind (reference §5.6) on the kit: a named piece of markdown (`content`) with a
 * `description` the model reads. Agents name skills in `enabled_skills`; the turn preloads them into
 * the system prompt or offers them as `get_skill_…` tools (src/runtime/skills/skill-family.ts).
 */
import type { ResourceKind } from '../resource/resource-kind.js';

export const SKILL_NAME = '^[a-zA-Z][a-zA-Z0-9_-]*$';

export const skillKind: ResourceKind = {
  type: 'Skill',
  category: 'skill',
  table: 'skills',
  path: 'skills',
  resource: 'skills',
  fields: {
    description: { type: 'string', minLength: 1, maxLength: 10_000 },
    content: { type: 'string', minLength: 1, maxLength: 1_000_000 },
  },
  requiredFields: ['description', 'content'],
  namespacePattern: SKILL_NAME,
  namePattern: SKILL_NAME,
  nameMaxLength: 255,
};
