/** `sinas audit verify FILE [--fingerprint HEX]`: checks an audit export's hash chain and signature. */
import { readFileSync } from 'node:fs';
import { verifyExport } from '../audit/export-chain.js';

export function auditVerifyCommand(args: readonly string[]): number {
  const file = args.find((a) => !a.startsWith('--'));
  const i = args.indexOf('--fingerprint');
  const fingerprint = i >= 0 ? args[i + 1] : undefined;
  if (!file) {
    console.error('usage: sinas audit verify FILE [--fingerprint <sha256 hex of the platform key>]');
    return 2;
  }
  const verdict = verifyExport(readFileSync(file, 'utf8'), fingerprint);
  if (!verdict.ok) {
    console.error(`NOT VERIFIED: line ${verdict.line}: ${verdict.reason}`);
    return 1;
  }
  console.log(
    `verified: ${verdict.count} events, chain intact, summary signed by key ${verdict.fingerprint}` +
      (fingerprint ? ' (the expected key)' : ' (compare this fingerprint with GET /api/v1/audit/public-key)'),
  );
  return 0;
}
