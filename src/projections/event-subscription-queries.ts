/** What the event subscriptions API reads: never the sealed secret. Owners see theirs; readers with `:all` see every one. */
import type pg from 'pg';
import type { EventSubscriptionRow } from './event-subscriptions.js';

const COLUMNS =
  'id, owner_id, url, event_types, categories, description, active, scope, version, created_position, created_at, updated_at';

export interface SubscriptionReader {
  readonly userId: string;
  /** holds sinas.webhooks.read:all */
  readonly all: boolean;
}

export type SubscriptionView = EventSubscriptionRow & {
  readonly cp_position: string | null;
  readonly failures: number | null;
  readonly next_attempt_at: Date | null;
  readonly last_error: string | null;
};

const SELECT = `SELECT ${COLUMNS.split(', ')
  .map((c) => `s.${c}`)
  .join(', ')}, c.position AS cp_position, c.failures, c.next_attempt_at, c.last_error
  FROM event_subscriptions s LEFT JOIN webhook_checkpoints c ON c.subscription_id = s.id`;

export class EventSubscriptionQueries {
  constructor(private readonly pool: pg.Pool) {}

  async list(
    reader: SubscriptionReader,
    skip: number,
    limit: number,
  ): Promise<{ rows: SubscriptionView[]; total: number }> {
    const { rows } = await this.pool.query<SubscriptionView & { total: string }>(
      `${SELECT.replace('SELECT ', 'SELECT count(*) OVER () AS total, ')}
        WHERE $3 OR s.owner_id = $4 ORDER BY s.created_at, s.id LIMIT $1 OFFSET $2`,
      [limit, skip, reader.all, reader.userId],
    );
    return { rows, total: rows[0] ? Number(rows[0].total) : 0 };
  }

  async get(reader: SubscriptionReader, id: string): Promise<SubscriptionView | undefined> {
    const { rows } = await this.pool.query<SubscriptionView>(
      `${SELECT} WHERE s.id = $1 AND ($2 OR s.owner_id = $3)`,
      [id, reader.all, reader.userId],
    );
    return rows[0];
  }
}
