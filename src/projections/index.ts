/**
 * Every projection the workers run: one per registered kind (the kinds come from the composition
 * root's registry, `src/runtime/kinds.ts`), then chats, executions, identity and states.
 */
import type pg from 'pg';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import { chatsProjection } from './chats.js';
import { executionsProjection } from './executions.js';
import { filesProjection } from './files.js';
import { identityProjection } from './identity.js';
import { packagesProjection } from './packages.js';
import type { Projection } from './projection.js';
import { resourceProjection } from './resources.js';
import { createLiveTables } from './runner.js';
import { statesProjection } from './states.js';
import { inTransaction } from './transaction.js';

export const allProjections = (kinds: readonly ResourceKind[]): Projection[] => [
  ...kinds.map((kind) => resourceProjection(kind)),
  chatsProjection,
  executionsProjection,
  identityProjection,
  statesProjection,
  filesProjection,
  packagesProjection,
];

/**
 * The read models' live tables, created (idempotently, under each projection's lock) before an API
 * process serves them: an API process may start on a fresh database before any worker has, and its
 * reads then find empty tables instead of failing.
 */
export async function ensureReadModels(pool: pg.Pool, projections: readonly Projection[]): Promise<void> {
  for (const p of projections) await inTransaction(pool, (tx) => createLiveTables(tx, p));
}
