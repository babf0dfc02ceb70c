/**
 * The bytes of an inline part: a data URL split into its media type and base64, and base64 decoded
 * strictly (a 400 naming the field) after its decoded size is held to the part limit (a 413), so an
 * oversized part is refused before it is decoded.
 */
import { PayloadTooLargeError, ValidationError } from '../../errors.js';

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)(?:;[\w.+-]+=[^;,]*)*;base64,(.*)$/s;

export function parseDataUrl(url: string, field: string): { mimeType: string; data: string } {
  const m = DATA_URL.exec(url);
  if (!m) throw new ValidationError(`${field}: not a base64 data URL (data:<type>;base64,…)`, field);
  return { mimeType: m[1]!.toLowerCase(), data: m[2]! };
}

export function decodeData(base64: string, field: string, maxBytes: number): Buffer {
  const clean = base64.replace(/\s+/g, '');
  const decoded = Math.floor((clean.replace(/=+$/, '').length * 3) / 4);
  if (decoded > maxBytes)
    throw new PayloadTooLargeError(`${field}: larger than a part may be (${maxBytes} bytes)`, field);
  if (clean === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1)
    throw new ValidationError(`${field}: not valid base64`, field);
  return Buffer.from(clean, 'base64');
}
