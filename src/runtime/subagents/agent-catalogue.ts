/**
 * Which agents an `enabled_agents` list names (reference §4.2): `ns/name` read from the agent's
 * stream (a just-saved agent is found at once), `ns/*` and `* /*` from the read model, an id by id.
 * Deleted agents are never named; each agent appears once, in the list's order.
 */
import { NotFoundError } from '../../errors.js';

export interface FoundAgent {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface AgentCatalogue {
  /** the active agent at namespace/name */
  byName(namespace: string, name: string): Promise<FoundAgent | undefined>;
  /** every agent in the read model, or those of one namespace */
  all(namespace?: string): Promise<readonly FoundAgent[]>;
  byId(id: string): Promise<FoundAgent | undefined>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The agents `refs` names (unknown ones left out). */
export async function agentsNamed(catalogue: AgentCatalogue, refs: readonly string[]): Promise<FoundAgent[]> {
  const found = await Promise.all(refs.map((ref) => matching(catalogue, ref)));
  const seen = new Set<string>();
  return found.flat().filter((a) => !seen.has(a.id) && (seen.add(a.id), true));
}

async function matching(catalogue: AgentCatalogue, ref: string): Promise<readonly FoundAgent[]> {
  if (UUID.test(ref)) {
    const a = await catalogue.byId(ref);
    return a ? [a] : [];
  }
  const [namespace = '', name = ''] = ref.split('/', 2);
  if (namespace !== '*' && name !== '*') {
    const a = await catalogue.byName(namespace, name).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    });
    return a ? [a] : [];
  }
  const all = await catalogue.all(namespace === '*' ? undefined : namespace);
  return all.filter((a) => name === '*' || a.name === name);
}
