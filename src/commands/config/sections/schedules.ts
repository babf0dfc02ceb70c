/**
 * `spec.schedules` (reference §6.3): the Schedule kind's fields in camelCase, with the target as
 * `functionName` (a function schedule) or `agentName` (an agent schedule, with `content`), each one
 * `ns/name` (a bare name meaning `default/`), stored as `target_namespace` and `target_name`. A
 * target found neither in the config nor on the platform is reported at validation (§6.4), as is a
 * schedule that names the wrong kind of target or none. Applied after the functions and agents.
 */
import { scheduleKind } from '../../schedule/schedule-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { CheckEnv, ConfigSection } from '../config-section.js';
import { qualifyRefs, refField } from './function-ref-field.js';
import { direct, resourceSection, type KindItems, type ResourceItem } from './resource-section.js';

const FIELDS = ['description', 'content', 'cron_expression', 'timezone', 'input_data', 'is_active'];

const target = (yaml: string, type: 'function' | 'agent') =>
  refField(scheduleKind, {
    yaml,
    namespaceField: 'target_namespace',
    nameField: 'target_name',
    names: (spec) => (spec.schedule_type ?? 'function') === type,
  });

export function schedulesSection(service: ResourceService, items: KindItems): ConfigSection {
  return resourceSection({
    name: 'schedules',
    resourceType: 'schedule',
    service,
    items,
    fields: [
      direct(scheduleKind, 'schedule_type'),
      target('functionName', 'function'),
      target('agentName', 'agent'),
      ...FIELDS.map((f) => direct(scheduleKind, f)),
    ],
    required: ['cronExpression'],
    normalise: qualifyRefs(['functionName', 'agentName']),
    check: checkTarget,
  }) as ConfigSection;
}

/** The target the schedule type needs is named, and exists in the config or on the platform. */
async function checkTarget(item: ResourceItem, path: string, env: CheckEnv): Promise<void> {
  const agent = item.scheduleType === 'agent';
  const [field, other, section] = agent
    ? (['agentName', 'functionName', 'agents'] as const)
    : (['functionName', 'agentName', 'functions'] as const);
  const kind = agent ? 'agent' : 'function';
  if (item[other] !== undefined && item[other] !== null)
    env.error(`${path}.${other}`, `a ${kind} schedule names its target in ${field}`);
  const ref = item[field];
  if (typeof ref !== 'string') env.error(`${path}.${field}`, `a ${kind} schedule needs ${field}`);
  else if (!(await env.exists(section, ref)))
    env.error(`${path}.${field}`, `no ${kind} '${ref}' in the config or on the platform`);
  if (agent && typeof item.content !== 'string')
    env.error(`${path}.content`, 'an agent schedule needs the message to send');
}
