/**
 * The secrets encryption scheme (DESIGN §9): events and tables hold only ciphertext; deleting a secret
 * destroys its data key so no value it ever had can be decrypted again, even from the event log (and
 * a reactor finishes a delete whose command died before destroying the key); rotating the
 * master key re-wraps data keys without touching a single event.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { rotateMasterKeyCommand } from '../../src/cli/secrets.js';
import type { EventStore } from '../../src/events/event-store.js';
import type { SealedValue } from '../../src/events/secret-events.js';
import { Cipher, Keyring, keyFromString, type Sealed } from '../../src/runtime/cipher.js';
import { Platform } from '../../src/runtime/platform.js';
import { PgDataKeys, unwrapDataKey } from '../../src/runtime/secrets/data-keys.js';
import {
  ADMIN_KEY,
  startTestPlatform,
  TEST_ENCRYPTION_KEY,
  ensureUser,
  userKey,
  type TestPlatform,
} from '../support/platform.js';
import { containsAny, everyTableAsText } from '../support/secrets.js';

const master = () => new Keyring(new Cipher(keyFromString(TEST_ENCRYPTION_KEY)));

describe('secrets encryption: ciphertext only, crypto-shredding', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let pool: pg.Pool;
  let store: EventStore;
  let alice: { 'x-api-key': string };
  before(async () => {
    t = await startTestPlatform();
    pool = t.platform.services.pool;
    store = t.platform.services.eventStore;
    alice = { 'x-api-key': await userKey(t, 'alice') };
  });
  after(async () => t?.stop());

  it('keeps the plaintext out of every event and table, and shreds it on delete', async () => {
    const first = `shred-me-${randomUUID()}`;
    const second = `shred-me-too-${randomUUID()}`;
    const created = await t.api('/api/v1/secrets', {
      method: 'POST',
      headers: alice,
      json: { name: 'SHRED_ME', value: first },
    });
    expect(created.status).to.equal(201);
    const { id } = await created.json();
    await t.api('/api/v1/secrets/SHRED_ME', { method: 'PUT', headers: alice, json: { value: second } });

    const events = await store.readStream('secret-shared/SHRED_ME');
    expect(events.map((e) => e.type)).to.deep.equal(['SecretCreated', 'SecretUpdated']);
    const sealed = [
      events[0]!.data.value as SealedValue,
      (events[1]!.data.changes as { value: SealedValue }).value,
    ];
    expect(sealed.map((s) => s.kid)).to.deep.equal([id, id]); // both under the secret's own data key
    const raw = JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(containsAny(raw, [first, second])).to.deep.equal([]);
    expect(containsAny(await everyTableAsText(pool), [first, second])).to.deep.equal([]);
    expect(raw).not.to.contain('wrapped'); // the data key is in the key store only

    // the control: while the key lives, the key store and the master key open what the log holds
    const live = await pool.query<{ wrapped_key: Sealed }>(
      'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1',
      [id],
    );
    const dataKey = unwrapDataKey(master(), id, live.rows[0]!.wrapped_key);
    expect(sealed.map((s) => dataKey.open(s, id))).to.deep.equal([first, second]);

    expect((await t.api('/api/v1/secrets/SHRED_ME', { method: 'DELETE', headers: alice })).status).to.equal(
      204,
    );

    const { rows } = await pool.query('SELECT * FROM secret_keys WHERE secret_id = $1', [id]);
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ wrapped_key: null, master_kid: null });
    expect(rows[0].destroyed_at).to.be.instanceOf(Date);
    expect(await new PgDataKeys(pool, master()).get(id)).to.equal(undefined);
    // the ciphertext is still in the log, and nothing that remains opens it
    const after = await store.readStream('secret-shared/SHRED_ME');
    expect(after).to.have.length(3);
    expect(after[0]!.data.value).to.deep.equal(sealed[0]);
    const remaining = await pool.query<{ secret_id: string; wrapped_key: Sealed }>(
      'SELECT secret_id, wrapped_key FROM secret_keys WHERE wrapped_key IS NOT NULL',
    );
    const masterCipher = new Cipher(keyFromString(TEST_ENCRYPTION_KEY));
    for (const s of sealed) {
      expect(() => master().open(s, id)).to.throw(/master key/);
      expect(() => masterCipher.open({ ...s, kid: masterCipher.kid }, id)).to.throw();
      expect(() => masterCipher.open({ ...s, kid: masterCipher.kid })).to.throw();
      for (const other of remaining.rows) {
        const k = unwrapDataKey(master(), other.secret_id, other.wrapped_key);
        expect(() => k.open(s, id)).to.throw();
        expect(() => k.open(s, other.secret_id)).to.throw();
      }
    }
    expect(containsAny(await everyTableAsText(pool), [first, second])).to.deep.equal([]);
  });

  it('destroys the data key when the delete event is handled, even if the deleting command died', async () => {
    const created = await t.api('/api/v1/secrets', {
      method: 'POST',
      headers: alice,
      json: { name: 'CRASHED', value: `crash-${randomUUID()}`, visibility: 'private' },
    });
    const { id, user_id: owner } = await created.json();
    const stream = `secret-private/${owner}/CRASHED`;
    // what a command that appended its delete and died before destroying the key leaves behind
    await store.append(
      stream,
      [
        {
          id: randomUUID(),
          type: 'SecretDeleted',
          data: { secretId: id, at: new Date().toISOString() },
          metadata: { correlationId: 'c', causationId: 'c', actor: owner, version: 1 },
        },
      ],
      0n,
    );
    // the key shredder (a reactor) and the secrets read model each handle the delete in their own time
    let row: { wrapped_key: unknown; destroyed_at: Date | null } | undefined;
    for (let i = 0; i < 200; i++) {
      row = (await pool.query('SELECT wrapped_key, destroyed_at FROM secret_keys WHERE secret_id = $1', [id]))
        .rows[0];
      const listed = (await pool.query('SELECT 1 FROM secrets WHERE id = $1', [id])).rowCount;
      if (row?.destroyed_at && listed === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(row).to.include({ wrapped_key: null });
    expect(row!.destroyed_at).to.be.instanceOf(Date);
    expect((await t.api('/api/v1/secrets/CRASHED', { headers: alice })).status).to.equal(404);
  });
});

describe('secrets encryption: master-key rotation', function () {
  this.timeout(90_000);
  const OLD = TEST_ENCRYPTION_KEY;
  const NEW = 'the-next-master-key-for-rotation-0123456789';
  let t: TestPlatform;
  let running: Platform | undefined;
  let pool: pg.Pool;
  before(async () => {
    t = await startTestPlatform();
    pool = new pg.Pool({ connectionString: t.db.url, max: 2 });
    pool.on('error', () => {});
  });
  after(async () => {
    await running?.stop();
    await pool?.end();
    await t?.stop();
  });

  const restart = async (encryptionKey: string, encryptionKeyPrevious: string[] = []) => {
    await (running ?? t.platform).stop();
    running = await Platform.start(
      { ...t.platform.config, encryptionKey, encryptionKeyPrevious },
      pino({ level: 'silent' }),
    );
    return running;
  };
  const post = (p: Platform, json: unknown, key = ADMIN_KEY) =>
    fetch(`${p.url}/api/v1/secrets`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(json),
    });
  const eventRows = async () =>
    JSON.stringify(
      (await pool.query('SELECT * FROM es_events ORDER BY position')).rows.map((r) => ({
        ...r,
        data: JSON.stringify(r.data),
        metadata: JSON.stringify(r.metadata),
      })),
    );

  it('re-wraps every data key under the new master key without touching an event', async () => {
    const alice = await userKey(t, 'alice');
    const aliceId = await ensureUser(t, 'alice@example.com');
    await post(t.platform, { name: 'ROTATE_ME', value: 'shared-before-rotation' });
    await post(
      t.platform,
      { name: 'ROTATE_ME', value: 'alice-before-rotation', visibility: 'private' },
      alice,
    );
    await post(t.platform, { name: 'GONE', value: 'gone-before-rotation' });
    await fetch(`${t.platform.url}/api/v1/secrets/GONE`, {
      method: 'DELETE',
      headers: { 'x-api-key': ADMIN_KEY },
    });

    // the new key with the old one as previous: old data keys still open, new ones wrap under NEW
    const between = await restart(NEW, [OLD]);
    expect((await post(between, { name: 'MADE_AFTER', value: 'made-under-new-key' })).status).to.equal(201);
    const vaultBetween = between.services.secretVault;
    expect((await vaultBetween.forUser(aliceId)).secrets).to.include({
      ROTATE_ME: 'alice-before-rotation',
      MADE_AFTER: 'made-under-new-key',
    });
    await between.stop();
    running = undefined;

    const before = await eventRows();
    const lines: string[] = [];
    const config = { ...t.platform.config, encryptionKey: NEW, encryptionKeyPrevious: [OLD] };
    expect(await rotateMasterKeyCommand(pool, config, (l) => lines.push(l))).to.equal(0);
    expect(lines.join('\n')).to.match(/re-wrapped 2 data key\(s\); 1 already under it/);
    expect(await eventRows()).to.equal(before); // byte for byte
    const newKid = new Cipher(keyFromString(NEW)).kid;
    const keys = await pool.query<{ master_kid: string }>(
      'SELECT master_kid FROM secret_keys WHERE wrapped_key IS NOT NULL',
    );
    expect(keys.rows.map((r) => r.master_kid)).to.deep.equal([newKid, newKid, newKid]);
    expect(await rotateMasterKeyCommand(pool, config, () => {})).to.equal(0); // nothing left to do

    // the old key can go: the new one alone opens everything
    const after = await restart(NEW);
    const vault = after.services.secretVault;
    const forAlice = await vault.forUser(aliceId);
    expect(forAlice).to.deep.equal({
      secrets: { MADE_AFTER: 'made-under-new-key', ROTATE_ME: 'alice-before-rotation' },
      unreadable: [],
    });
    expect((await vault.forUser('bob')).secrets).to.include({ ROTATE_ME: 'shared-before-rotation' });
    expect(await eventRows()).to.equal(before);
  });

  it('refuses to rotate keys that no configured master key opens, and changes nothing', async () => {
    const before = JSON.stringify((await pool.query('SELECT * FROM secret_keys ORDER BY secret_id')).rows);
    const lines: string[] = [];
    const stranger = { ...t.platform.config, encryptionKey: 'a-master-key-nobody-used-before-000000' };
    expect(await rotateMasterKeyCommand(pool, stranger, (l) => lines.push(l))).to.equal(1);
    expect(lines.join('\n')).to.match(/3 data key\(s\) could not be opened/);
    expect(JSON.stringify((await pool.query('SELECT * FROM secret_keys ORDER BY secret_id')).rows)).to.equal(
      before,
    );
  });
});
