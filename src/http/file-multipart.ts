/**
 * A multipart upload read as a stream (busboy, a dependency for exactly this: express parses no
 * multipart, and the file must reach the blob store chunk by chunk, never whole in memory). Fields
 * must come before the one file part; the file's bytes are handed on as they arrive. If the upload
 * fails early (a limit, a bad field), the rest of the request is drained and dropped.
 */
import busboy from 'busboy';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { ValidationError } from '../errors.js';
import { HttpProblem } from './problem.js';

export interface FilePart {
  readonly fields: Readonly<Record<string, string>>;
  readonly filename: string;
  readonly mimeType: string;
  readonly stream: Readable;
}

export function readMultipart<T>(req: Request, onFile: (part: FilePart) => Promise<T>): Promise<T> {
  let bb: busboy.Busboy;
  try {
    if (!req.is('multipart/form-data')) throw new Error('not multipart');
    bb = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 256 * 1024 } });
  } catch {
    return Promise.reject(
      new HttpProblem({
        title: 'Unsupported media type',
        status: 415,
        detail: 'send the file as multipart/form-data, fields first, then one file part named "file"',
        field: 'body',
      }),
    );
  }
  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let started = false;
    const fail = (err: unknown) => {
      req.unpipe(bb);
      req.resume(); // drain what the client still sends; the answer goes out regardless
      reject(err);
    };
    bb.on('field', (k, v) => (fields[k] = v));
    bb.on('file', (_name, stream, info) => {
      if (started) return void stream.resume();
      started = true;
      onFile({ fields, filename: info.filename ?? '', mimeType: info.mimeType, stream }).then(
        resolve,
        (err) => {
          stream.resume();
          fail(err);
        },
      );
    });
    bb.on('close', () => {
      if (!started) reject(new ValidationError('the form has no file part', 'file'));
    });
    bb.on('error', (err) =>
      fail(new ValidationError(`the multipart body is malformed: ${(err as Error).message}`, 'body')),
    );
    req.pipe(bb);
  });
}
