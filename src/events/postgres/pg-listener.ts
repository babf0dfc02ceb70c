/**
 * A dedicated connection that LISTENs on one or more channels and reconnects after a drop.
 * `onReconnect` runs after each reconnect, since notifications sent while disconnected are lost.
 */
import pg from 'pg';
import { Subject, type Observable } from 'rxjs';

const RECONNECT_MS = 500;

export class PgListener {
  private readonly subjects = new Map<string, Subject<string>>();
  private client: pg.Client | undefined;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    channels: string | readonly string[],
    private readonly onReconnect: () => void = () => {},
  ) {
    for (const channel of typeof channels === 'string' ? [channels] : channels) {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
      this.subjects.set(channel, new Subject<string>());
    }
  }

  /** The first channel's payloads. */
  get messages(): Observable<string> {
    return this.subjects.values().next().value!;
  }

  /** A channel's payloads (one of those given at construction). */
  messagesOf(channel: string): Observable<string> {
    const subject = this.subjects.get(channel);
    if (!subject) throw new Error(`not listening on ${channel}`);
    return subject;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (msg) => this.subjects.get(msg.channel)?.next(msg.payload ?? ''));
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      for (const channel of this.subjects.keys()) await client.query(`LISTEN ${channel}`);
      if (this.stopped) {
        // stop() ran while this connection was being made
        client.removeAllListeners();
        client.on('error', () => {});
        await client.end().catch(() => {});
        return;
      }
      this.client = client;
    } catch {
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.client === client) this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => {});
    void client.end().catch(() => {});
    if (this.stopped) return;
    setTimeout(() => void this.start().then(this.onReconnect), RECONNECT_MS).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const subject of this.subjects.values()) subject.complete();
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
