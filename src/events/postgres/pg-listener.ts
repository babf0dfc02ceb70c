/**
 * A dedicated connection that LISTENs on one channel and reconnects after a drop. `onReconnect`
 * runs after each reconnect, since notifications sent while disconnected are lost.
 */
import pg from 'pg';
import { Subject, type Observable } from 'rxjs';

const RECONNECT_MS = 500;

export class PgListener {
  private readonly messages$ = new Subject<string>();
  private client: pg.Client | undefined;
  private stopped = false;

  constructor(
    private readonly connectionString: string,
    private readonly channel: string,
    private readonly onReconnect: () => void = () => {},
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name ${channel}`);
  }

  get messages(): Observable<string> {
    return this.messages$;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.messages$.next(msg.payload ?? '');
    });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
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
    this.messages$.complete();
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => {});
      await c.end().catch(() => {});
    }
  }
}
