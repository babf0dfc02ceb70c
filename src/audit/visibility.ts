/**
 * What a reader may see of an event: the one place every read path asks (timelines, the audit log
 * and export, event-webhook payloads). Three answers:
 *
 * - `whole`: the event as stored. Administrators and holders of `sinas.audit.read:all` (auditors)
 *   see every event whole, as they always did.
 * - `reference`: the event's type, position, revision and time with `{kind, namespace, name,
 *   version}` (or `id`) of what it is about, never its data: for a configuration resource the
 *   reader may not read (a function that is not theirs: no code; an agent: no prompt; an LLM
 *   provider: no endpoint), for a role, a user or a config apply the reader may not read, and for
 *   any event that carries ciphertext (secrets, sealed write-only fields, subscription secrets).
 * - `hidden`: left out entirely, where today's ownership rules say the thing does not exist for the
 *   reader: another user's chat, execution (without `sinas.executions.read:all`), invoke session,
 *   private secret, API key, login, email or event subscription, and the security log.
 *
 * A resource's readability is decided as its own GET decides it (`canAct` with the owner the
 * resource had at that event); a category this module does not know is hidden (fail closed).
 */
import { agentKind } from '../commands/agent/agent-kind.js';
import { functionKind } from '../commands/function/function-kind.js';
import { manifestKind } from '../commands/manifest/manifest-kind.js';
import { canAct, hasPermission, type PermissionMap } from '../commands/identity/permissions.js';
import { llmProviderKind } from '../commands/llm-provider/llm-provider-kind.js';
import { queryKind } from '../commands/query/query-kind.js';
import { collectionKind } from '../commands/collection/collection-kind.js';
import { connectorKind } from '../commands/connector/connector-kind.js';
import { componentKind } from '../commands/component/component-kind.js';
import { skillKind } from '../commands/skill/skill-kind.js';
import { templateKind } from '../commands/template/template-kind.js';
import { storeKind } from '../commands/store/store-kind.js';
import { webhookKind } from '../commands/webhook/webhook-kind.js';
import { scheduleKind } from '../commands/schedule/schedule-kind.js';
import type { ResourceKind } from '../commands/resource/resource-kind.js';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { categoryOf, idOf } from '../events/stream-names.js';
import { versionOfRevision } from '../events/versions.js';
import { StreamOwners } from './stream-owners.js';

export interface Reader {
  readonly userId: string;
  readonly permissions: PermissionMap;
  /** an administrator or auditor: every event whole */
  readonly everything: boolean;
}

/** The audit permission: whoever holds it reads every event whole. */
export const AUDIT_ALL = 'sinas.audit.read:all';

export function readerOf(userId: string, permissions: PermissionMap, isAdmin = false): Reader {
  const everything =
    isAdmin || hasPermission(permissions, 'sinas.*:all') || hasPermission(permissions, AUDIT_ALL);
  return { userId, permissions, everything };
}

/** What an event is about, for a reader who may not see its data. */
export interface Reference {
  readonly kind: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly id?: string;
  readonly visibility?: string;
  /** the stream's version after the event (from 1): a resource's version number */
  readonly version: number;
}

export type Sight =
  | { readonly kind: 'whole' }
  | { readonly kind: 'reference'; readonly reference: Reference }
  | { readonly kind: 'hidden' };

/** One reader's view: what each event shows them. */
export type Viewer = (e: RecordedEvent) => Promise<Sight>;

const WHOLE: Sight = { kind: 'whole' };
const HIDDEN: Sight = { kind: 'hidden' };
/** for readers who see everything (the operator's CLI, administrators) */
export const SEE_ALL: Viewer = async () => WHOLE;

/** Every stream category the platform writes; anything else is hidden from non-auditors. */
export const CATEGORIES = [
  'chat',
  'chatforks',
  'execution',
  'session',
  'audit',
  'queryrun',
  'agent',
  'function',
  'llmprovider',
  'query',
  'connector',
  'skill',
  'component',
  'componentbuild',
  'componentshare',
  'componentshares',
  'template',
  'manifest',
  'dbconnection',
  'dbannotations',
  'dbtrigger',
  'dbtriggerpoll',
  'collection',
  'webhook',
  'webhookdelivery',
  'schedule',
  'schedtick',
  'file',
  'secret',
  'store',
  'state',
  'eventsub',
  'role',
  'user',
  'email',
  'apikey',
  'login',
  'security',
  'config',
] as const;
type Category = (typeof CATEGORIES)[number];
const isCategory = (c: string): c is Category => (CATEGORIES as readonly string[]).includes(c);

const KINDS: Readonly<
  Record<
    | 'agent'
    | 'function'
    | 'llmprovider'
    | 'query'
    | 'connector'
    | 'skill'
    | 'component'
    | 'template'
    | 'manifest'
    | 'store'
    | 'collection'
    | 'webhook'
    | 'schedule',
    ResourceKind
  >
> = {
  agent: agentKind,
  collection: collectionKind,
  function: functionKind,
  llmprovider: llmProviderKind,
  query: queryKind,
  connector: connectorKind,
  skill: skillKind,
  component: componentKind,
  template: templateKind,
  manifest: manifestKind,
  store: storeKind,
  webhook: webhookKind,
  schedule: scheduleKind,
};
const LABELS: Readonly<Record<string, string>> = { llmprovider: 'llm_provider' };

const may = (r: Reader, permission: string) => hasPermission(r.permissions, permission);
const wholeIf = (yes: boolean): Sight => (yes ? WHOLE : HIDDEN);
const userIn = (e: RecordedEvent) => (e.data as { userId?: unknown }).userId;
const reference = (e: RecordedEvent, about: Omit<Reference, 'version'>): Sight => ({
  kind: 'reference',
  reference: { ...about, version: versionOfRevision(e.revision) },
});

export class EventVisibility {
  private readonly owners: StreamOwners;

  constructor(store: EventStore) {
    this.owners = new StreamOwners(store);
  }

  viewer(reader: Reader): Viewer {
    return reader.everything ? SEE_ALL : (e) => this.sight(e, reader);
  }

  async sight(e: RecordedEvent, r: Reader): Promise<Sight> {
    if (r.everything) return WHOLE;
    const category = categoryOf(e.streamName);
    if (!isCategory(category)) return HIDDEN;
    const id = idOf(e.streamName);
    switch (category) {
      case 'chat':
        return wholeIf((await this.owners.ofFirstEvent(e)) === r.userId);
      case 'chatforks': // a fork link: to the original's owner and to whoever forked it
        return wholeIf([(e.data as { ownerId?: unknown }).ownerId, userIn(e)].includes(r.userId));
      case 'execution':
        return wholeIf(
          may(r, 'sinas.executions.read:all') || (await this.owners.ofFirstEvent(e)) === r.userId,
        );
      case 'session':
      case 'audit':
      case 'queryrun':
        return wholeIf(userIn(e) === r.userId);
      case 'agent':
      case 'function':
      case 'llmprovider':
      case 'query':
      case 'connector':
      case 'skill':
      case 'component':
      case 'template':
      case 'manifest':
      case 'store':
      case 'collection':
      case 'webhook':
      case 'schedule':
        return this.resource(e, KINDS[category], r);
      // a delivery's claim and recorded answer carry a function's input and result; a tick, what
      // it ran and why it failed: left to auditors (fail closed) until owners need them
      case 'webhookdelivery':
      case 'schedtick':
        return HIDDEN;
      // a component's builds (its bundle) and share links (their tokens open it): left to auditors
      case 'componentbuild':
      case 'componentshare':
      case 'componentshares':
        return HIDDEN;
      case 'state': // its user's own (an encrypted one's events carry ciphertext only)
        return wholeIf(userIn(e) === r.userId);
      case 'file': // its owner's (events carry names, hashes and metadata, never content)
        return wholeIf((await this.owners.ofFirstEvent(e)) === r.userId);
      case 'secret':
        return secret(e, id, r);
      case 'dbconnection': // admin-only, and its events carry a sealed password
      case 'dbannotations':
      case 'dbtrigger': // admin-only
      case 'dbtriggerpoll': // admin-only, and its batches carry a table's rows
        return HIDDEN;
      case 'eventsub':
        return may(r, 'sinas.webhooks.read:all') || (await this.owners.ofFirstEvent(e)) === r.userId
          ? reference(e, { kind: 'event_subscription', id })
          : HIDDEN;
      case 'role':
        return may(r, 'sinas.roles.read:all') ? WHOLE : reference(e, { kind: 'role', name: id });
      case 'config':
        return may(r, 'sinas.config.read:all') ? WHOLE : reference(e, { kind: 'config', name: id });
      case 'user': {
        const item = { resource: 'users', namespaced: false as const, action: 'read' };
        return canAct(r.permissions, { ...item, ownerId: id, callerId: r.userId })
          ? WHOLE
          : reference(e, { kind: 'user', id });
      }
      case 'email':
        return wholeIf(userIn(e) === r.userId || may(r, 'sinas.users.read:all'));
      case 'apikey':
        return wholeIf(may(r, 'sinas.api_keys.read:all') || (await this.owners.ofFirstEvent(e)) === r.userId);
      case 'login':
        return wholeIf(id === r.userId || may(r, 'sinas.users.read:all'));
      case 'security':
        return HIDDEN;
      default: {
        const unreachable: never = category;
        return unreachable;
      }
    }
  }

  /**
   * What an event subscription delivers of `e` to its owner: never the events of subscriptions
   * (they carry sealed signing secrets); with scope `own` only events the owner caused or of a
   * chat or execution the owner owns; and of those, what the owner may read.
   */
  async forSubscription(e: RecordedEvent, scope: 'own' | 'all', owner: Reader): Promise<Sight> {
    const category = categoryOf(e.streamName);
    if (category === 'eventsub') return HIDDEN;
    if (scope === 'own' && e.metadata.actor !== owner.userId) {
      if (category !== 'chat' && category !== 'execution') return HIDDEN;
      if ((await this.owners.ofFirstEvent(e)) !== owner.userId) return HIDDEN;
    }
    return this.sight(e, owner);
  }

  /** As the resource's GET decides, with the owner it had then; events with ciphertext as references. */
  private async resource(e: RecordedEvent, kind: ResourceKind, r: Reader): Promise<Sight> {
    const id = idOf(e.streamName);
    const slash = id.indexOf('/');
    const namespaced = kind.namespaced !== false;
    const namespace = id.slice(0, slash);
    // a kind without namespaces is named by its whole id (a webhook's path may hold slashes)
    const name = namespaced ? id.slice(slash + 1) : id;
    const about = {
      kind: LABELS[kind.category] ?? kind.category,
      ...(namespaced ? { namespace } : {}),
      name,
    };
    const readable = kind.adminOnly
      ? may(r, `sinas.${kind.resource}.read:all`)
      : canAct(r.permissions, {
          ...(namespaced ? { namespaced: true as const, namespace, name } : { namespaced: false as const }),
          resource: kind.resource,
          action: 'read',
          ownerId: await this.owners.ofResourceAt(e),
          callerId: r.userId,
        }) !== false;
    return readable && !sealedIn(kind, e.data) ? WHOLE : reference(e, about);
  }
}

/** Whether a resource event carries a write-only (sealed) field's value. */
function sealedIn(kind: ResourceKind, data: unknown): boolean {
  const d = data as { spec?: Record<string, unknown>; changes?: Record<string, unknown> };
  const fields = d.spec ?? d.changes ?? {};
  return (kind.writeOnlyFields ?? []).some((f) => fields[f] !== undefined && fields[f] !== null);
}

/** Secrets: always a reference (events carry ciphertext); another user's private one is hidden. */
function secret(e: RecordedEvent, id: string, r: Reader): Sight {
  const [visibility, ...rest] = id.split('/');
  const owner = visibility === 'private' ? rest[0] : undefined;
  if (owner !== undefined && owner !== r.userId && !may(r, 'sinas.secrets.read:all')) return HIDDEN;
  const name = visibility === 'private' ? rest.slice(1).join('/') : rest.join('/');
  return reference(e, { kind: 'secret', name, ...(visibility ? { visibility } : {}) });
}
