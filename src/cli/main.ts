/**
 * The `sinas` command line. Talks to the database directly (DATABASE_URL, or the embedded one under
 * SINAS_DATA_DIR, started here when no server is running on it).
 *
 *   sinas projections status              each projection's position, version and lag
 *   sinas projections rebuild <name>      rebuild from position 0 beside the live tables, then swap
 *   sinas secrets rotate-master-key       re-wrap every secret's data key under SINAS_ENCRYPTION_KEY
 *                                         (opening old ones with SINAS_ENCRYPTION_KEY_PREVIOUS)
 *   sinas audit verify FILE [--fingerprint HEX]   check an audit export's hash chain and signature
 *   sinas replay chat <id> [--as-of N]    a chat's timeline in the terminal (up to its revision N)
 *   sinas admin-key reset                 a new bootstrap admin API key (revokes the earlier ones)
 *
 * And over the API (SINAS_URL, default http://127.0.0.1:8000, with SINAS_API_KEY):
 *   sinas apply -f file.yaml [--dry-run] [--force] [--yes]   print the plan, then apply it (a
 *                                                    terminal is asked first; --yes does not ask)
 *   sinas validate -f file.yaml                      check it without writing
 *   sinas export [-o file] [--include-secrets] [--managed-only]   the platform as a config
 *   sinas what-if <ns>/<name> -f request.json        replay recorded chats against a candidate agent
 */
import { SingleBar, Presets } from 'cli-progress';
import pg from 'pg';
import { PgEventStore } from '../events/postgres/pg-event-store.js';
import { EsdbEventStore } from '../events/esdb/esdb-event-store.js';
import type { EventStore } from '../events/event-store.js';
import { listCheckpoints } from '../projections/checkpoints.js';
import { platformProjections } from '../runtime/kinds.js';
import { rebuildProjection } from '../projections/rebuild.js';
import { loadConfig } from '../runtime/config.js';
import { runningEmbeddedUrl, startEmbeddedPostgres } from '../runtime/embedded-postgres.js';
import { migrate } from '../runtime/migrate.js';
import { StartupError } from '../runtime/startup-error.js';
import { rotateMasterKeyCommand } from './secrets.js';
import { auditVerifyCommand } from './audit.js';
import { replayChat } from './replay.js';
import { adminKeyResetCommand, configuredKeyRefusal } from './admin-key.js';
import { askYesNo, CONFIG_USAGE, configCommand } from './config.js';
import { WHATIF_USAGE, whatIfCommand } from './what-if.js';

const USAGE = `usage: sinas projections status | sinas projections rebuild <name> | sinas secrets rotate-master-key | sinas audit verify FILE | sinas replay chat <id> [--as-of N] | sinas admin-key reset\n${CONFIG_USAGE}\n${WHATIF_USAGE}`;

async function connect(): Promise<{ pool: pg.Pool; store: EventStore; close: () => Promise<void> }> {
  const config = loadConfig();
  let url: string = config.databaseUrl ?? '';
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!config.databaseUrl) {
    // the database of a running `npm start` on this data dir, found through the data dir; else our own
    const running = runningEmbeddedUrl(config.dataDir);
    if (running) url = running;
    else {
      const db = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.embeddedPgPort,
        tcp: config.embeddedPgPort !== undefined,
        log: (m) => process.stderr.write(`${m}\n`),
      });
      stopEmbedded = db.stop;
      url = db.url;
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  await migrate(pool);
  const store = config.eventStoreUrl
    ? await EsdbEventStore.connect(config.eventStoreUrl)
    : new PgEventStore(pool, url);
  return {
    pool,
    store,
    close: async () => {
      await store.close();
      await pool.end();
      await stopEmbedded?.();
    },
  };
}

async function status(pool: pg.Pool, store: EventStore): Promise<void> {
  const head = await store.headPosition();
  const cps = await listCheckpoints(pool);
  const rows = platformProjections().map((p) => {
    const cp = cps.get(p.name);
    return {
      projection: p.name,
      position: String(cp?.position ?? 0n),
      head: String(head),
      lag: String(head - (cp?.position ?? 0n)),
      version: `${cp?.version ?? '-'} (code ${p.version})`,
    };
  });
  console.table(rows);
  console.log('lag counts every event after the checkpoint, including ones the projection does not read.');
}

async function rebuild(pool: pg.Pool, store: EventStore, name: string | undefined): Promise<void> {
  const projection = platformProjections().find((p) => p.name === name);
  if (!projection)
    throw new Error(
      `unknown projection '${name}'; one of: ${platformProjections()
        .map((p) => p.name)
        .join(', ')}`,
    );
  const bar = new SingleBar(
    {
      format: `${projection.name} [{bar}] {percentage}% | position {value}/{total} | {events} events`,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const head = await store.headPosition();
  bar.start(Number(head), 0, { events: 0 });
  const started = Date.now();
  const result = await rebuildProjection(pool, store, projection, {
    onProgress: (p) => {
      bar.setTotal(Number(p.head > head ? p.head : head));
      bar.update(Number(p.position), { events: p.events });
    },
  });
  bar.update(Number(result.position > head ? head : result.position), { events: result.events });
  bar.stop();
  const secs = (Date.now() - started) / 1000;
  console.log(
    `rebuilt ${projection.name}: ${result.events} events in ${secs.toFixed(1)} s, swapped in at position ${result.position}`,
  );
}

async function main(argv: string[]): Promise<number> {
  const [group, command, arg] = argv;
  if (group === 'audit' && command === 'verify') return auditVerifyCommand(argv.slice(2));
  const io = {
    url: process.env.SINAS_URL ?? 'http://127.0.0.1:8000',
    apiKey: process.env.SINAS_API_KEY,
    out: (l: string) => console.log(l),
    err: (l: string) => console.error(l),
  };
  if (group === 'apply' || group === 'validate' || group === 'export')
    return configCommand(group, argv.slice(1), {
      ...io,
      // only a terminal is asked; a pipe or CI applies the plan it printed
      ...(process.stdin.isTTY && process.stdout.isTTY ? { confirm: askYesNo } : {}),
    });
  if (group === 'what-if') return whatIfCommand(argv.slice(1), io);
  const known =
    (group === 'replay' && command === 'chat' && arg !== undefined) ||
    (group === 'projections' && (command === 'status' || command === 'rebuild')) ||
    (group === 'secrets' && command === 'rotate-master-key') ||
    (group === 'admin-key' && command === 'reset');
  if (!known) {
    console.error(USAGE);
    return 2;
  }
  const refused = group === 'admin-key' ? configuredKeyRefusal(loadConfig()) : undefined;
  if (refused) {
    console.error(refused); // before connecting: nothing to start for it
    return 2;
  }
  const { pool, store, close } = await connect();
  try {
    if (group === 'secrets') return await rotateMasterKeyCommand(pool, loadConfig());
    if (group === 'admin-key') return await adminKeyResetCommand(pool, store, loadConfig());
    if (group === 'replay') {
      const i = argv.indexOf('--as-of');
      const asOf = i >= 0 ? Number(argv[i + 1]) : undefined;
      if (asOf !== undefined && (!Number.isInteger(asOf) || asOf < 0))
        throw new Error('--as-of takes a revision number');
      return await replayChat(pool, store, arg!, asOf);
    }
    if (command === 'status') await status(pool, store);
    else await rebuild(pool, store, arg);
    return 0;
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof StartupError)
      console.error(`sinas: ${err.why}\n  how to fix: ${err.fix}${err.detail ? `\n\n${err.detail}` : ''}`);
    else console.error(`sinas: ${(err as Error).message}`);
    process.exit(1);
  },
);
