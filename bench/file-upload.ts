/**
 * `file_upload`: MB/s of a 50 MB file uploaded through the platform as streamed multipart (into
 * the Postgres blob store, measured and hashed on the way, then its version event) and downloaded
 * again (streamed from the blob store), next to writing and reading the same bytes with `pg`
 * directly (one INSERT of one bytea value, one SELECT). Rounds alternate the two. Target: upload
 * ≥ 0.5× the direct write.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { benchPool } from './db.js';
import { emit, log } from './io.js';
import { ADMIN_KEY, startBenchPlatform } from './platform.js';
import { percentile, round } from './stats.js';

const MB = Number(process.env.BENCH_FILE_MB ?? 50);
const ROUNDS = Number(process.env.BENCH_FILE_ROUNDS ?? 5);

const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

export async function runFileUpload(): Promise<void> {
  const p = await startBenchPlatform();
  const direct = benchPool(p.db.url, 2);
  try {
    await p.json('/api/v1/collections', {
      method: 'POST',
      json: { namespace: 'bench', name: 'files', max_file_size_mb: 1000 },
    });
    await direct.query('CREATE TABLE bench_direct (id int PRIMARY KEY, data bytea NOT NULL)');
    const bytes = randomBytes(MB * 1024 * 1024);
    const up: number[] = [],
      down: number[] = [],
      write: number[] = [],
      read: number[] = [];
    log(`file_upload: ${ROUNDS} rounds of ${MB} MB`);
    for (let i = 0; i < ROUNDS; i++) {
      up.push(
        await timed(async () => {
          const form = new FormData();
          form.append('name', `f${i}.bin`);
          form.append('file', new Blob([bytes]), `f${i}.bin`);
          const res = await fetch(`${p.url}/files/bench/files/upload`, {
            method: 'POST',
            headers: { 'x-api-key': ADMIN_KEY },
            body: form,
          });
          if (res.status !== 201) throw new Error(`file_upload: upload ${res.status} ${await res.text()}`);
        }),
      );
      down.push(
        await timed(async () => {
          const res = await fetch(`${p.url}/files/bench/files/f${i}.bin/content`, {
            headers: { 'x-api-key': ADMIN_KEY },
          });
          let n = 0;
          for await (const c of res.body!) n += (c as Uint8Array).length;
          if (n !== bytes.length) throw new Error(`file_upload: downloaded ${n} bytes`);
        }),
      );
      write.push(
        await timed(() => direct.query('INSERT INTO bench_direct (id, data) VALUES ($1, $2)', [i, bytes])),
      );
      read.push(await timed(() => direct.query('SELECT data FROM bench_direct WHERE id = $1', [i])));
    }
    const mbs = (ms: number[]) => round(MB / (percentile(ms, 50) / 1000), 1);
    emit({
      bench: 'file_upload',
      rounds: ROUNDS,
      size_mb: MB,
      upload_mb_s: mbs(up),
      download_mb_s: mbs(down),
      direct_write_mb_s: mbs(write),
      direct_read_mb_s: mbs(read),
      upload_vs_direct: round(percentile(write, 50) / percentile(up, 50), 2),
      target_upload_vs_direct: 0.5,
    });
  } finally {
    await direct.end();
    await p.stop();
  }
}
