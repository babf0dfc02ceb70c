/**
 * The reference checks (§6.4) of sections the kit derives: a collection's content filter and
 * post-upload functions, and the resources a manifest requires (of the types a manifest may name).
 */
import { REQUIRED_RESOURCE_TYPES } from '../../manifest/manifest-kind.js';
import type { CheckEnv } from '../config-section.js';
import { checkReference } from './references.js';
import type { ResourceItem } from './resource-section.js';

export async function collectionReferences(item: ResourceItem, path: string, env: CheckEnv): Promise<void> {
  for (const field of ['contentFilterFunction', 'postUploadFunction'])
    await checkReference(env, `${path}.${field}`, 'functions', 'function', item[field]);
}

export async function manifestReferences(item: ResourceItem, path: string, env: CheckEnv): Promise<void> {
  const required = (item.requiredResources ?? []) as { type: string; namespace: string; name: string }[];
  for (const [i, r] of required.entries()) {
    const at = `${path}.requiredResources[${i}]`;
    const section = REQUIRED_RESOURCE_TYPES[r.type];
    if (!section)
      env.error(`${at}.type`, `must be one of ${Object.keys(REQUIRED_RESOURCE_TYPES).join(', ')}`);
    else await checkReference(env, at, section, r.type, `${r.namespace}/${r.name}`);
  }
}
