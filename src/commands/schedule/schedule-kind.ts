/**
 * The Schedule kind (reference §5.11) on the kit: a cron expression in a time zone that runs a
 * function (with `input_data`) or an agent turn (with `content`) as the schedule's owner. Names are
 * global and not namespaced (a second create of one is a 400 naming `name`); a schedule is seen and
 * changed by its owner or whoever holds `sinas.schedules.<action>:all`. A save checks what would
 * otherwise only fail at tick time: the expression and zone parse, a function target exists and its
 * owner may run it, an agent target exists, and an agent schedule has content. Every tick checks
 * the owner's right again.
 */
import { ValidationError } from '../../errors.js';
import { SCHEDULE_CATEGORY } from '../../events/schedule-events.js';
import type { ExecutePolicy } from '../execution/execute-policy.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';
import { checkCron, isTimeZone } from './cron.js';

const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });
/** a function's or an agent's namespace and name (functions may start with `_`, agents hold spaces) */
const TARGET_NAMESPACE = '^[a-zA-Z_][a-zA-Z0-9_-]*$';
const TARGET_NAME = '^[a-zA-Z_][a-zA-Z0-9 _():-]*$';

export const scheduleKind: ResourceKind = {
  type: 'Schedule',
  category: SCHEDULE_CATEGORY,
  table: 'schedules',
  path: 'schedules',
  resource: 'schedules',
  ownership: 'owner',
  namespaced: false,
  duplicates: 'invalid',
  fields: {
    schedule_type: { type: 'string', enum: ['function', 'agent'], default: 'function' },
    target_namespace: { type: 'string', pattern: TARGET_NAMESPACE, maxLength: 255, default: 'default' },
    target_name: { type: 'string', pattern: TARGET_NAME, maxLength: 255 },
    description: nullable({ type: 'string', maxLength: 10_000 }),
    cron_expression: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'five fields, or six with seconds last (as croniter reads them); `@daily` and the like',
    },
    timezone: { type: 'string', minLength: 1, maxLength: 64, default: 'UTC', description: 'an IANA zone' },
    input_data: { type: 'object', default: {} },
    content: nullable({ type: 'string', minLength: 1, maxLength: 100_000 }),
    is_active: { type: 'boolean', default: true },
  },
  requiredFields: ['target_name', 'cron_expression'],
  namespacePattern: '^default$',
  namePattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$',
  nameMaxLength: 255,
  lifecycleApi: false,
  updateMethods: ['patch'],
};

/** Whether the agent `namespace/name` exists now (its stream's last event is not a delete). */
export type AgentExists = (namespace: string, name: string) => Promise<boolean>;

/** The kind's save checks. */
export function scheduleHooks(policy: ExecutePolicy, agentExists: AgentExists): ResourceServiceOptions {
  return {
    async checkSpec(spec, ctx) {
      if (typeof spec.cron_expression === 'string')
        checkCron(spec.cron_expression, typeof spec.timezone === 'string' ? spec.timezone : 'UTC');
      else if (typeof spec.timezone === 'string' && !isTimeZone(spec.timezone))
        throw new ValidationError(`timezone: '${spec.timezone}' is not an IANA time zone`, 'timezone');
      if (typeof spec.target_name !== 'string') return; // an update that leaves the target alone
      const namespace = typeof spec.target_namespace === 'string' ? spec.target_namespace : 'default';
      const ref = `${namespace}/${spec.target_name}`;
      if (spec.schedule_type === 'agent') {
        if (typeof spec.content !== 'string')
          throw new ValidationError('content: an agent schedule needs the message to send', 'content');
        if (!(await agentExists(namespace, spec.target_name)))
          throw new ValidationError(`target_name: no agent '${ref}'`, 'target_name');
      } else if (spec.schedule_type === 'function') {
        await policy.checkReference(await policy.runner(ctx.actor), ref, 'target_name');
      }
    },
  };
}
