/** Where the harness lives, and the image tag derived from its contents. */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HARNESS_FILE = 'sinas_harness.py';

/** infra/python, found from this module upwards (works from src/ and from a build under dist/). */
export function harnessDir(): string {
  const fromEnv = process.env.SINAS_HARNESS_DIR;
  if (fromEnv) return fromEnv;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'infra', 'python');
    if (existsSync(path.join(candidate, HARNESS_FILE))) return candidate;
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error(`cannot find infra/python/${HARNESS_FILE} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** `sinas-python:<12 hex>`: sha256 over the files of infra/python in name order (as build-python-image.sh). */
export function pythonImageName(dir = harnessDir()): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isFile()) hash.update(readFileSync(p));
  }
  return `sinas-python:${hash.digest('hex').slice(0, 12)}`;
}

/** A world-readable copy of the harness, for sandboxes that run as an unprivileged uid. */
export function publicHarnessCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-harness-'));
  chmodSync(dir, 0o755);
  const target = path.join(dir, HARNESS_FILE);
  copyFileSync(path.join(harnessDir(), HARNESS_FILE), target);
  chmodSync(target, 0o644);
  return dir;
}
