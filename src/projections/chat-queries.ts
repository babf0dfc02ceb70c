/** What the API reads from the chat read models. Every query is scoped to the owning user. */
import type pg from 'pg';

export interface ChatRow {
  id: string;
  user_id: string;
  agent_id: string;
  agent_namespace: string;
  agent_name: string;
  agent_version: string;
  title: string;
  archived: boolean;
  session_key: string | null;
  expires_at: Date | null;
  input: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  last_message_at: Date | null;
  version: string;
  /** where a fork branched off (null for a chat that is no fork) */
  forked_from: { chat_id: string; revision: number; requested: number } | null;
  /** the owner's email, from the identity read model (null when it has no such user) */
  user_email: string | null;
}

/** a chat row and its owner's email (the identity read model's `users`) */
const CHAT_COLUMNS = (chats: string) =>
  `c.*, (SELECT u.email FROM users u WHERE u.id = c.user_id) AS user_email FROM ${chats} c`;

export interface MessageRow {
  id: string;
  chat_id: string;
  role: string;
  content: string | null;
  tool_calls: unknown;
  turn_id: string | null;
  model: string | null;
  usage: unknown;
  agent_version: string | null;
  tool_call_id: string | null;
  name: string | null;
  created_at: Date;
}

export interface ToolCallRow {
  tool_call_id: string;
  turn_id: string;
  message_id: string;
  name: string;
  function_namespace: string | null;
  function_name: string | null;
  arguments: unknown;
  description: string;
  requires_approval: boolean;
  approval_status: string;
  approval_reason: string | null;
  decided_by: string | null;
  decided_at: Date | null;
  execution_id: string | null;
  /** the family tool an inline call ran (null for a function) */
  target: { family: string; ref: Record<string, string> } | null;
  /** what an inline call did, for audit */
  detail: Record<string, unknown> | null;
  status: string;
  result: string | null;
  requested_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface TurnRow {
  turn_id: string;
  status: string;
  attempt: number;
  user_message_id: string;
  assistant_message_id: string | null;
  model: string | null;
  usage: unknown;
  error: string | null;
  requested_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

export class ChatQueries {
  /** `pool`: a pool, or one client (a transaction); `t`: the tables' names (live by default) */
  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly t: Readonly<
      Record<'chats' | 'chat_messages' | 'chat_turns' | 'chat_tool_calls', string>
    > = {
      chats: 'chats',
      chat_messages: 'chat_messages',
      chat_turns: 'chat_turns',
      chat_tool_calls: 'chat_tool_calls',
    },
  ) {}

  async list(
    userId: string,
    o: { includeArchived: boolean; skip: number; limit: number },
  ): Promise<ChatRow[]> {
    const { rows } = await this.pool.query<ChatRow>(
      `SELECT ${CHAT_COLUMNS(this.t.chats)} WHERE c.user_id = $1 AND ($2 OR NOT c.archived) ORDER BY c.updated_at DESC, c.id LIMIT $3 OFFSET $4`,
      [userId, o.includeArchived, o.limit, o.skip],
    );
    return rows;
  }

  async get(chatId: string, userId: string): Promise<ChatRow | undefined> {
    const { rows } = await this.pool.query<ChatRow>(
      `SELECT ${CHAT_COLUMNS(this.t.chats)} WHERE c.id = $1 AND c.user_id = $2`,
      [chatId, userId],
    );
    return rows[0];
  }

  /** Any user's chat (for auditors). */
  async getAny(chatId: string): Promise<ChatRow | undefined> {
    const { rows } = await this.pool.query<ChatRow>(`SELECT ${CHAT_COLUMNS(this.t.chats)} WHERE c.id = $1`, [
      chatId,
    ]);
    return rows[0];
  }

  /** The revision of the user message that asked for a turn (undefined until projected). */
  async turnMessageRevision(chatId: string, turnId: string): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ revision: string }>(
      `SELECT revision FROM ${this.t.chat_messages}
        WHERE chat_id = $1 AND turn_id = $2 AND role = 'user' ORDER BY revision LIMIT 1`,
      [chatId, turnId],
    );
    return rows[0] ? BigInt(rows[0].revision) : undefined;
  }

  async messages(chatId: string): Promise<MessageRow[]> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT * FROM ${this.t.chat_messages} WHERE chat_id = $1 ORDER BY revision, idx`,
      [chatId],
    );
    return rows;
  }

  async turns(chatId: string): Promise<TurnRow[]> {
    const { rows } = await this.pool.query<TurnRow>(
      `SELECT * FROM ${this.t.chat_turns} WHERE chat_id = $1 ORDER BY requested_at, turn_id`,
      [chatId],
    );
    return rows;
  }

  async toolCalls(chatId: string): Promise<ToolCallRow[]> {
    const { rows } = await this.pool.query<ToolCallRow>(
      `SELECT * FROM ${this.t.chat_tool_calls} WHERE chat_id = $1 ORDER BY requested_at, tool_call_id`,
      [chatId],
    );
    return rows;
  }

  async message(messageId: string): Promise<MessageRow | undefined> {
    const { rows } = await this.pool.query<MessageRow>(
      `SELECT * FROM ${this.t.chat_messages} WHERE id = $1`,
      [messageId],
    );
    return rows[0];
  }
}
