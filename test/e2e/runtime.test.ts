/** The runtime's choices and lifecycle: Redis-backed adapters, graceful stop, the CLI's rebuild. */
import { expect } from 'chai';
import { redisUrl, skipLoudly } from '../support/skip.js';
import { ADMIN_KEY, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { sinasCli } from '../support/sinas-cli.js';

describe('runtime', function () {
  this.timeout(60_000);

  describe('with REDIS_URL', function () {
    let t: TestPlatform | undefined;
    before(async function () {
      const url = redisUrl();
      if (!url)
        return skipLoudly(this as unknown as Mocha.Context, 'redis-server', 'REDIS_URL adapters need Redis');
      t = await startTestPlatform({ REDIS_URL: url });
    });
    after(async () => t && (await t.stop()));

    it('uses BullMQ and Redis Streams and reports them up in /health', async () => {
      const h = await (await t!.api('/health')).json();
      expect(h.ports.jobQueue).to.deep.equal({ adapter: 'bullmq', up: true });
      expect(h.ports.liveBus).to.deep.equal({ adapter: 'redis-streams', up: true });
    });
  });

  describe('graceful stop', () => {
    it('finishes a request that is in flight when the stop begins', async () => {
      const t = await startTestPlatform({ SINAS_ROLE: 'api', SINAS_CONSISTENCY_TIMEOUT_MS: '1500' });
      try {
        // with no worker, the write waits out the read-your-writes timeout: it is in flight for a while
        const inFlight = t.api('/api/v1/agents', { method: 'POST', json: { name: 'slow' } });
        const store = t.platform.services.eventStore;
        await until(
          'the write recorded',
          async () => (await store.streamRevision('agent-default/slow')) !== undefined,
        );
        const stopping = t.platform.stop();
        const res = await inFlight;
        expect(res.status).to.equal(201);
        expect((await res.json()).name).to.equal('slow');
        await stopping;
        const refused = await fetch(`${t.url}/health`).then(
          () => 'served',
          () => 'refused',
        );
        expect(refused).to.equal('refused');
      } finally {
        await t.stop();
      }
    });

    it('ends the open event streams, which never end by themselves, so the stop completes', async () => {
      const t = await startTestPlatform();
      try {
        await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'stop', name: 'bot' } });
        const chat = (await (await t.api('/agents/stop/bot/chats', { method: 'POST', json: {} })).json()) as {
          id: string;
        };
        const res = await fetch(`${t.url}/chats/${chat.id}/events`, { headers: { 'x-api-key': ADMIN_KEY } });
        expect(res.status).to.equal(200);
        const text = res.text();
        await t.platform.stop();
        expect(await text).to.contain('event: ChatCreated');
      } finally {
        await t.stop();
      }
    });
  });

  describe('sinas projections rebuild', () => {
    it('rebuilds the agents projection from the CLI, with the same rows', async () => {
      const t = await startTestPlatform();
      try {
        for (const name of ['a', 'b', 'c']) await t.api('/api/v1/agents', { method: 'POST', json: { name } });
        await t.api('/api/v1/agents/default/b', { method: 'PUT', json: { description: 'changed' } });
        const before = await (await t.api('/api/v1/agents')).json();
        const cli = await sinasCli(['projections', 'rebuild', 'agents'], {
          ...process.env,
          DATABASE_URL: t.db.url,
        });
        expect(cli.status, cli.stderr).to.equal(0);
        expect(cli.stdout).to.match(/rebuilt agents: 4 events/);
        expect(await (await t.api('/api/v1/agents')).json()).to.deep.equal(before);
        const status = await sinasCli(['projections', 'status'], { ...process.env, DATABASE_URL: t.db.url });
        expect(status.stdout).to.match(/agents/);
      } finally {
        await t.stop();
      }
    });
  });
});
