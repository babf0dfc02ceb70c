/**
 * The verifiable export (README "Verifiable export"): NDJSON, one event a line, each line carrying
 * `hash = SHA-256(prev + "\n" + canonical(event))` (hex), where `prev` is the previous line's hash
 * (64 zeros for the first); then one summary line signed with Ed25519 over its canonical JSON.
 * A tampered, reordered, dropped or truncated line breaks the chain or the signed summary.
 *
 * An export shows what its reader may read (visibility.ts): an event they may not read is a
 * reference line, `data` left out and `reference` + `digest` in its place, where `digest` is the
 * SHA-256 (hex) of the canonical JSON of the event's full line form. The chain hashes each line as
 * written, so a redacted export verifies on its own with the same steps, and an auditor holding a
 * full export can match each reference line to its event by the digest. The signed summary names
 * whose view the file is (`view`), so a redacted export cannot pass for a complete one.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { RecordedEvent } from '../events/event-store.js';
import type { Seen } from './audit-query.js';
import { canonicalJson } from './canonical.js';
import type { Reference } from './visibility.js';

export const GENESIS = '0'.repeat(64);
export const EXPORT_FORMAT = 'sinas-audit-export/1';

export interface ExportedEvent {
  readonly position: string;
  readonly stream: string;
  readonly revision: string;
  readonly id: string;
  readonly type: string;
  readonly created_at: string;
  /** absent on a reference line */
  readonly data?: unknown;
  readonly metadata: unknown;
  /** on a reference line: what the event is about */
  readonly reference?: Reference;
  /** on a reference line: hex SHA-256 of the canonical JSON of the event's full form */
  readonly digest?: string;
}

/** Whose view an export is: `all` (an administrator or auditor: every event whole) or `own`. */
export interface ExportView {
  readonly reader: string;
  readonly scope: 'all' | 'own';
}

export interface ExportSummary {
  readonly format: typeof EXPORT_FORMAT;
  readonly count: number;
  readonly first_position: string | null;
  readonly last_position: string | null;
  readonly last_hash: string;
  readonly filter: Readonly<Record<string, string>>;
  readonly view: ExportView;
  readonly exported_at: string;
  /** SHA-256 of the signing public key's DER (SPKI), hex: compare it with the platform's */
  readonly key_fingerprint: string;
  /** the signing public key, PEM (SPKI), so the file verifies on its own */
  readonly public_key: string;
}

export function exportedEvent(e: RecordedEvent): ExportedEvent {
  return {
    position: e.position.toString(),
    stream: e.streamName,
    revision: e.revision.toString(),
    id: e.id,
    type: e.type,
    created_at: e.createdAt.toISOString(),
    data: e.data,
    metadata: e.metadata,
  };
}

/** The line form of an event the reader may not read: its data replaced by a reference and a digest. */
export function referenceEvent(e: RecordedEvent, reference: Reference): ExportedEvent {
  const full = exportedEvent(e);
  const { data: _data, ...rest } = full;
  const digest = createHash('sha256').update(canonicalJson(full)).digest('hex');
  return { ...rest, reference, digest };
}

/** The event as the reader sees it: whole, or as a reference. */
export const seenEvent = ({ event, sight }: Seen): ExportedEvent =>
  sight.kind === 'reference' ? referenceEvent(event, sight.reference) : exportedEvent(event);

export const chainHash = (prev: string, event: ExportedEvent) => hashOf(prev, canonicalJson(event));

const hashOf = (prev: string, canonical: string) =>
  createHash('sha256').update(`${prev}\n${canonical}`).digest('hex');

/** Builds the lines of an export incrementally. */
export class ExportChain {
  private prev = GENESIS;
  private count = 0;
  private first: string | null = null;
  private last: string | null = null;

  constructor(
    private readonly key: SigningKey,
    private readonly view: ExportView,
  ) {}

  line(seen: Seen): string {
    const event = seenEvent(seen);
    const canonical = canonicalJson(event);
    const hash = hashOf(this.prev, canonical);
    // the event is written in its canonical form (valid JSON): serialised once, hashed and sent
    const line = `{"seq":${++this.count},"event":${canonical},"prev":"${this.prev}","hash":"${hash}"}`;
    this.prev = hash;
    this.first ??= event.position;
    this.last = event.position;
    return line;
  }

  summary(filter: Readonly<Record<string, string>>, at = new Date()): string {
    const summary: ExportSummary = {
      format: EXPORT_FORMAT,
      count: this.count,
      first_position: this.first,
      last_position: this.last,
      last_hash: this.prev,
      filter,
      view: this.view,
      exported_at: at.toISOString(),
      key_fingerprint: this.key.fingerprint,
      public_key: this.key.publicPem,
    };
    const signature = sign(null, Buffer.from(canonicalJson(summary)), this.key.privateKey).toString('base64');
    return JSON.stringify({ summary, signature });
  }
}

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicPem: string;
  readonly fingerprint: string;
}

export function signingKey(privatePem: string): SigningKey {
  const privateKey = createPrivateKey(privatePem);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('the audit signing key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: fingerprintOf(publicKey),
  };
}

export const fingerprintOf = (publicKey: KeyObject) =>
  createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

export type Verdict =
  | { readonly ok: true; readonly count: number; readonly fingerprint: string }
  | { readonly ok: false; readonly line: number; readonly reason: string };

/**
 * Verifies an export's text: every line's chain, then the summary's count, last hash and signature.
 * `expectedFingerprint`: the platform's published key fingerprint (recommended: otherwise the
 * file only proves it was not changed since someone signed it with the key it carries).
 */
export function verifyExport(text: string, expectedFingerprint?: string): Verdict {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { ok: false, line: 0, reason: 'the file is empty' };
  let prev = GENESIS;
  let count = 0;
  for (const [i, raw] of lines.slice(0, -1).entries()) {
    let parsed: { seq?: unknown; event?: ExportedEvent; prev?: unknown; hash?: unknown };
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { ok: false, line: i + 1, reason: 'not JSON' };
    }
    if (parsed.seq !== i + 1)
      return { ok: false, line: i + 1, reason: `expected seq ${i + 1}, found ${String(parsed.seq)}` };
    if (parsed.prev !== prev)
      return {
        ok: false,
        line: i + 1,
        reason: 'prev does not match the previous line (reordered or removed lines)',
      };
    if (!parsed.event || parsed.hash !== chainHash(prev, parsed.event))
      return { ok: false, line: i + 1, reason: 'hash does not match the line (the event was changed)' };
    prev = parsed.hash as string;
    count++;
  }
  let last: { summary?: ExportSummary; signature?: string };
  try {
    last = JSON.parse(lines.at(-1)!);
  } catch {
    return { ok: false, line: lines.length, reason: 'the summary line is not JSON (truncated?)' };
  }
  const s = last.summary;
  if (!s || typeof last.signature !== 'string')
    return { ok: false, line: lines.length, reason: 'no signed summary at the end (truncated?)' };
  if (s.count !== count)
    return {
      ok: false,
      line: lines.length,
      reason: `the summary says ${s.count} events, the file has ${count}`,
    };
  if (s.last_hash !== prev)
    return { ok: false, line: lines.length, reason: 'the summary does not seal this chain' };
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(s.public_key);
  } catch {
    return { ok: false, line: lines.length, reason: 'the summary carries no valid public key' };
  }
  const fingerprint = fingerprintOf(publicKey);
  if (fingerprint !== s.key_fingerprint)
    return { ok: false, line: lines.length, reason: 'the key fingerprint does not match the key' };
  if (expectedFingerprint && fingerprint !== expectedFingerprint)
    return {
      ok: false,
      line: lines.length,
      reason: `signed by key ${fingerprint}, not the expected ${expectedFingerprint}`,
    };
  if (!verify(null, Buffer.from(canonicalJson(s)), publicKey, Buffer.from(last.signature, 'base64')))
    return { ok: false, line: lines.length, reason: 'the signature does not match the summary' };
  return { ok: true, count, fingerprint };
}
