/** A real SMTP server on 127.0.0.1 (the `smtp-server` package) that keeps every message it accepts. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  readonly to: readonly string[];
  readonly raw: string;
}

export interface TestSmtp {
  /** SMTP_URL for the platform */
  readonly url: string;
  readonly messages: CapturedMail[];
  /** the login code in the latest message to `email` */
  codeFor(email: string): string;
  stop(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const messages: CapturedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    codeFor(email) {
      const m = messages.filter((x) => x.to.includes(email)).at(-1);
      const code = m?.raw.match(/login code is (\d{6})/)?.[1];
      if (!code) throw new Error(`no login code was mailed to ${email}`);
      return code;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
