/**
 * An external DATABASE_URL whose role is a superuser: development starts with a loud warning,
 * production refuses to start and says how to fix it; a role that owns only its database starts
 * in production without a word about it.
 */
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/runtime/config.js';
import { Platform } from '../../src/runtime/platform.js';
import { StartupError } from '../../src/runtime/startup-error.js';
import { freshDatabase, type TestDatabase } from '../support/pg.js';
import { ADMIN_KEY, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '../support/platform.js';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'warn' }, stream), text: () => lines.join('') };
}

function configFor(db: TestDatabase, env: 'development' | 'production') {
  return loadConfig({
    DATABASE_URL: db.url,
    PORT: '0',
    HOST: '127.0.0.1',
    SINAS_ENV: env,
    SINAS_ROLE: 'api',
    SINAS_ADMIN_API_KEY: ADMIN_KEY,
    SINAS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    SINAS_JWT_SECRET: TEST_JWT_SECRET,
    SINAS_AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
  });
}

describe('an external DATABASE_URL with a superuser role', function () {
  this.timeout(120_000);
  const dbs: TestDatabase[] = [];
  const fresh = async (owner: 'superuser' | 'app') => {
    const db = await freshDatabase({ owner });
    dbs.push(db);
    return db;
  };
  after(async () => {
    for (const db of dbs) await db.drop();
  });

  it('is refused in production, with how to fix it', async () => {
    const { log } = captured();
    const err = await Platform.start(configFor(await fresh('superuser'), 'production'), log).then(
      async (p) => {
        await p.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(StartupError);
    expect((err as StartupError).why)
      .to.contain('is a superuser')
      .and.contain('COPY … FROM PROGRAM');
    expect((err as StartupError).fix)
      .to.contain('CREATE ROLE sinas LOGIN')
      .and.contain('DATABASE_URL=');
  });

  it('starts in development with a loud warning', async () => {
    const { log, text } = captured();
    const platform = await Platform.start(configFor(await fresh('superuser'), 'development'), log);
    await platform.stop();
    expect(text()).to.contain('DEVELOPMENT ONLY, refused in production').and.contain('is a superuser');
  });

  it('a role that owns only its database starts in production without that warning', async () => {
    const { log, text } = captured();
    const platform = await Platform.start(configFor(await fresh('app'), 'production'), log);
    await platform.stop();
    expect(text()).to.not.contain('superuser');
  });
});
