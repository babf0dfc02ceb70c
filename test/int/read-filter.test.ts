/**
 * The read filter's rules against the real Postgres event store: a resource's owner is the one it
 * had at the event (a name deleted and created again by someone else), ciphertext never reaches a
 * non-auditor, others' private things are left out, every stream category the platform writes is
 * known, and an unknown one is hidden.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { SCHEDULE_TICK_CATEGORY } from '../../src/events/schedule-events.js';
import { WEBHOOK_DELIVERY_CATEGORY } from '../../src/events/webhook-delivery-events.js';
import {
  EventVisibility,
  readerOf,
  CATEGORIES,
  type Reader,
  type Sight,
} from '../../src/audit/visibility.js';
import { agentKind } from '../../src/commands/agent/agent-kind.js';
import { functionKind } from '../../src/commands/function/function-kind.js';
import { DEFAULT_ROLES } from '../../src/commands/identity/permissions.js';
import { llmProviderKind } from '../../src/commands/llm-provider/llm-provider-kind.js';
import { queryKind } from '../../src/commands/query/query-kind.js';
import { connectorKind } from '../../src/commands/connector/connector-kind.js';
import { databaseConnectionKind } from '../../src/commands/database-connection/database-connection-kind.js';
import { annotationStream } from '../../src/events/database-annotation-events.js';
import { KINDS } from '../../src/runtime/kinds.js';
import { triggerPollStream } from '../../src/events/database-trigger-events.js';
import { configStream } from '../../src/events/config-events.js';
import { componentStreams } from '../../src/events/component-events.js';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { eventSubscriptionStream } from '../../src/events/event-subscription-events.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { secretStream } from '../../src/events/secret-events.js';
import { stateStream } from '../../src/events/state-events.js';
import { categoryOf, streams } from '../../src/events/stream-names.js';
import { migrate } from '../../src/runtime/migrate.js';
import { queryAuditStream } from '../../src/runtime/queries/query-runs.js';
import { AUDIT_CHATS } from '../../src/runtime/turns/purge.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { ev } from './event-store.contract.js';

const ALICE = '00000000-0000-4000-a000-00000000000a';
const BOB = '00000000-0000-4000-a000-00000000000b';
const bob: Reader = readerOf(BOB, DEFAULT_ROLES.Users);
const admin: Reader = readerOf('admin', DEFAULT_ROLES.Admins);
const auditor: Reader = readerOf('auditor', { 'sinas.audit.read:all': true });
const SEALED = { alg: 'A256GCM', kid: 'k', iv: 'iv', tag: 'tag', ct: 'CIPHERTEXT' };

describe('read filter (visibility) on the Postgres event store', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  let visibility: EventVisibility;

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
    visibility = new EventVisibility(store);
  });
  after(async () => {
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  const append = async (stream: string, ...events: ReturnType<typeof ev>[]) => {
    await store.append(stream, events, 'any');
    return store.readStream(stream);
  };
  const kinds = (events: RecordedEvent[], r: Reader) =>
    Promise.all(events.map(async (e) => (await visibility.sight(e, r)).kind));
  const created = (owner: string, spec: Record<string, unknown> = { code: 'x' }) =>
    ev('FunctionCreated', { id: owner, namespace: 'ns', name: 'f', ownerId: owner, spec }, owner);

  it('knows every stream category the platform writes', () => {
    const written = [
      streams.chat('c'),
      streams.execution('e'),
      streams.session('a/b', 'k'),
      AUDIT_CHATS,
      streams.agent('n', 'a'),
      streams.function('n', 'f'),
      `${llmProviderKind.category}-default/p`,
      `${agentKind.category}-n/a`,
      `${functionKind.category}-n/f`,
      `${queryKind.category}-n/q`,
      queryAuditStream('u'),
      secretStream('shared', 'u', 's'),
      eventSubscriptionStream('id'),
      streams.role('r'),
      streams.user('u'),
      streams.email('a@b'),
      streams.apiKey('k'),
      streams.login('u'),
      streams.security(new Date()),
      configStream('c'),
      ...KINDS.map((k) => `${k.kind.category}-n/x`),
      annotationStream('id'),
      triggerPollStream('id'),
      `${SCHEDULE_TICK_CATEGORY}-id`,
      `${WEBHOOK_DELIVERY_CATEGORY}-id/hash`,
      stateStream('s', 'u', 'k'),
      componentStreams.build('id'),
      componentStreams.share('token'),
      componentStreams.shares('id'),
    ].map(categoryOf);
    expect(written.filter((c) => !(CATEGORIES as readonly string[]).includes(c))).to.deep.equal([]);
  });

  it('shows a saved query as its GET does, and a query run only to the user who ran it', async () => {
    const own = await append(
      `${queryKind.category}-ns/mine`,
      ev('QueryCreated', { id: BOB, namespace: 'ns', name: 'mine', ownerId: BOB, spec: { sql: 'x' } }, BOB),
    );
    const others = await append(
      `${queryKind.category}-ns/theirs`,
      ev(
        'QueryCreated',
        { id: ALICE, namespace: 'ns', name: 'theirs', ownerId: ALICE, spec: { sql: 'x' } },
        ALICE,
      ),
    );
    expect(await kinds([...own, ...others], bob)).to.deep.equal(['whole', 'reference']);
    const runs = await append(queryAuditStream(BOB), ev('QueryExecuted', { userId: BOB, name: 'mine' }, BOB));
    const alicesRuns = await append(queryAuditStream(ALICE), ev('QueryExecuted', { userId: ALICE }, ALICE));
    expect(await kinds([...runs, ...alicesRuns], bob)).to.deep.equal(['whole', 'hidden']);
    expect(await kinds(alicesRuns, admin)).to.deep.equal(['whole']);
  });

  it('shows a connector as its GET does; database connections only to auditors', async () => {
    const own = await append(
      `${connectorKind.category}-ns/mine`,
      ev('ConnectorCreated', { id: BOB, namespace: 'ns', name: 'mine', ownerId: BOB, spec: {} }, BOB),
    );
    const others = await append(
      `${connectorKind.category}-ns/theirs`,
      ev('ConnectorCreated', { id: ALICE, namespace: 'ns', name: 'theirs', ownerId: ALICE, spec: {} }, ALICE),
    );
    expect(await kinds([...own, ...others], bob)).to.deep.equal(['whole', 'reference']);
    const conn = await append(
      `${databaseConnectionKind.category}-default/db`,
      ev('DatabaseConnectionCreated', { id: BOB, name: 'db', ownerId: BOB, spec: {} }, BOB),
    );
    expect(await kinds(conn, bob)).to.deep.equal(['hidden']);
    expect(await kinds(conn, admin)).to.deep.equal(['whole']);
  });

  it('shows a state only to its own user (shared ones are read through the states API)', async () => {
    const saved = (user: string) =>
      ev('StateSaved', { stateId: user, userId: user, key: 'k', value: 1, sealed: null }, user);
    const mine = await append(stateStream('s', BOB, 'k'), saved(BOB));
    const theirs = await append(stateStream('s', ALICE, 'k'), saved(ALICE));
    expect(await kinds([...mine, ...theirs], bob)).to.deep.equal(['whole', 'hidden']);
    expect(await kinds(theirs, admin)).to.deep.equal(['whole']);
  });

  it('judges a resource by the owner it had at the event: a name deleted and created again by another', async () => {
    const events = await append(
      'function-ns/f',
      created(ALICE),
      ev('FunctionUpdated', { changes: { code: 'y' }, changed: ['code'] }, ALICE),
      ev('FunctionDeleted', {}, ALICE),
      created(BOB),
      ev('FunctionUpdated', { changes: { code: 'z' }, changed: ['code'] }, BOB),
    );
    expect(await kinds(events, bob)).to.deep.equal(['reference', 'reference', 'reference', 'whole', 'whole']);
    // a fresh cache reads the same from the stream
    const fresh = new EventVisibility(store);
    expect(await Promise.all(events.map(async (e) => (await fresh.sight(e, bob)).kind))).to.deep.equal([
      'reference',
      'reference',
      'reference',
      'whole',
      'whole',
    ]);
    expect(await visibility.sight(events[1]!, bob)).to.deep.equal({
      kind: 'reference',
      reference: { kind: 'function', namespace: 'ns', name: 'f', version: 2 },
    });
    expect(await kinds(events, admin)).to.deep.equal(Array(5).fill('whole'));
  });

  it('never shows ciphertext but to administrators and auditors; others’ private secrets not at all', async () => {
    const own = await append(
      secretStream('private', BOB, 'TOKEN'),
      ev('SecretCreated', { value: SEALED }, BOB),
    );
    const other = await append(
      secretStream('private', ALICE, 'TOKEN'),
      ev('SecretCreated', { value: SEALED }),
    );
    const shared = await append(secretStream('shared', ALICE, 'API'), ev('SecretCreated', { value: SEALED }));
    expect(await visibility.sight(own[0]!, bob)).to.deep.equal({
      kind: 'reference',
      reference: { kind: 'secret', name: 'TOKEN', visibility: 'private', version: 1 },
    });
    expect((await visibility.sight(other[0]!, bob)).kind).to.equal('hidden');
    expect((await visibility.sight(shared[0]!, bob)).kind).to.equal('reference');
    expect((await visibility.sight(other[0]!, auditor)).kind).to.equal('whole');
    // an LLM provider's sealed api_key: a reference even for a reader who may read the provider
    const reader = readerOf(BOB, { 'sinas.llm_providers.read:all': true });
    const provider = await append(
      'llmprovider-default/p',
      ev('LlmProviderCreated', { ownerId: ALICE, spec: { api_key: SEALED, api_endpoint: 'https://x' } }),
      ev('LlmProviderUpdated', { changes: { default_model: 'm' }, changed: ['default_model'] }),
    );
    expect(await kinds(provider, reader)).to.deep.equal(['reference', 'whole']);
    expect(await kinds(provider, bob)).to.deep.equal(['reference', 'reference']);
  });

  it("leaves out others' chats, executions, sessions, keys, logins, emails and the security log", async () => {
    const mine = (userId: string) => ({ userId });
    const cases: [string, Record<string, unknown>, Sight['kind'], Sight['kind']][] = [
      [streams.chat('c1'), mine(BOB), 'whole', 'hidden'],
      [streams.execution('x1'), mine(BOB), 'whole', 'hidden'],
      [streams.session('a/b', 'k1'), mine(BOB), 'whole', 'hidden'],
      [streams.apiKey('k1'), mine(BOB), 'whole', 'hidden'],
      [streams.email('bob@example.com'), mine(BOB), 'whole', 'hidden'],
      [AUDIT_CHATS, mine(BOB), 'whole', 'hidden'],
      [streams.login(BOB), mine(BOB), 'whole', 'hidden'],
      [streams.user(BOB), mine(BOB), 'whole', 'reference'],
      [streams.security(new Date()), { ip: '192.0.2.1' }, 'hidden', 'hidden'],
      [streams.role('Admins'), { permissions: {} }, 'reference', 'reference'],
      [configStream('prod'), { written: [] }, 'reference', 'reference'],
      [eventSubscriptionStream('s1'), { ownerId: BOB, secret: SEALED }, 'reference', 'hidden'],
      ['somethingnew-1', mine(BOB), 'hidden', 'hidden'],
    ];
    const alice = readerOf(ALICE, DEFAULT_ROLES.Users);
    for (const [stream, data, forBob, forAlice] of cases) {
      const [e] = await append(stream, ev('Happened', data, BOB));
      const seen = [(await visibility.sight(e!, bob)).kind, (await visibility.sight(e!, alice)).kind];
      expect(seen, stream).to.deep.equal([forBob, forAlice]);
      expect((await visibility.sight(e!, auditor)).kind, stream).to.equal('whole');
    }
  });

  it("never delivers a subscription's own events; scope 'own' only what its owner caused or owns", async () => {
    const [sub] = await append(
      eventSubscriptionStream('s2'),
      ev('EventSubscriptionCreated', { ownerId: BOB }, BOB),
    );
    expect((await visibility.forSubscription(sub!, 'all', admin)).kind).to.equal('hidden');
    const [aliceChat] = await append(streams.chat('c2'), ev('ChatCreated', { userId: ALICE }, ALICE));
    const [aliceAgent] = await append(
      streams.agent('a', 'x'),
      ev('AgentCreated', { ownerId: ALICE, spec: {} }, ALICE),
    );
    expect((await visibility.forSubscription(aliceChat!, 'own', bob)).kind).to.equal('hidden');
    expect((await visibility.forSubscription(aliceAgent!, 'own', bob)).kind).to.equal('hidden');
    // Users read every agent: with scope 'all' Bob gets it whole, Alice's chat still not at all
    expect((await visibility.forSubscription(aliceAgent!, 'all', bob)).kind).to.equal('whole');
    expect((await visibility.forSubscription(aliceChat!, 'all', bob)).kind).to.equal('hidden');
  });
});
