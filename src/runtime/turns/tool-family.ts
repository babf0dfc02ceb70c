/**
 * A family of tools the turn offers the model and runs itself, inline (not as a function
 * execution): connector operations, saved queries, system tools, `retrieve_tool_result`. Each
 * family says which tools an agent's spec gives a chat and how one call runs; the turn runner
 * records the plan (its `target`), the start and the outcome (with its audit `detail`) as chat
 * events, runs a round's calls in parallel, and on a worker's crash either runs a started call
 * again (`rerunnable`) or answers it as interrupted. Functions keep their own path (executions).
 */
import type { ChatId } from '../../events/ids.js';
import type { ToolCallDetail, ToolResultStatus, ToolTarget } from '../../events/chat-events.js';
import type { LlmTool } from '../llm/llm.js';

/** The chat a tool is offered to and runs for. */
export interface ToolChat {
  readonly chatId: ChatId;
  /** the chat's user: calls run with this user's permissions, never the agent owner's */
  readonly userId: string;
  /** the chat's validated agent input (parameters render with it) */
  readonly input: Readonly<Record<string, unknown>>;
  readonly agent: { readonly namespace: string; readonly name: string };
  /** the agent's spec at the version this round runs */
  readonly agentSpec: Readonly<Record<string, unknown>>;
}

/** Locked values the model cannot change, overridable ones it may (reference §4.3). */
export interface ToolParams {
  readonly locked: Readonly<Record<string, unknown>>;
  readonly overridable: Readonly<Record<string, unknown>>;
}

/** One tool a family offers a chat. */
export interface OfferedTool {
  /** name, description and parameters as the model sees them (locked parameters removed) */
  readonly tool: LlmTool;
  readonly target: ToolTarget;
  /** merged into the model's arguments before the call is recorded (locked wins) */
  readonly params?: ToolParams;
  readonly requiresApproval?: boolean;
  /** `status_templates` key (`query:ns/name`, reference §4.2) and the text when there is no template */
  readonly status: { readonly key: string; readonly fallback: string };
}

/** One call to run. */
export interface ToolRun {
  readonly toolCallId: string;
  /** the chat's turn the call belongs to (set by the turn runner; a deferred call's work wakes it) */
  readonly turnId?: string;
  readonly target: ToolTarget;
  /** the model's arguments merged with the tool's parameters */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** aborted when the turn is cancelled */
  readonly signal: AbortSignal;
}

/**
 * What a call returned. `result` is what the model sees (serialised and cut by the runner);
 * `detail` goes into the ToolCallCompleted event for audit. A family throws a ForbiddenError when the
 * chat's user may not make the call (recorded as `forbidden`), a ValidationError or another
 * platform error for a call that cannot run (recorded as an `error` result); a dependency outage
 * (DependencyUnavailableError) is not the call's fault and is rethrown so the job retries.
 */
export interface ToolOutcome {
  readonly status: Extract<ToolResultStatus, 'ok' | 'error'>;
  readonly result: unknown;
  readonly detail?: ToolCallDetail;
}

/**
 * Text a family adds to the system prompt of every model round, tool rounds included (reference
 * §3.8 step 5): preloaded skills go before the structured-output instruction, stored context after.
 */
export interface PromptSection {
  readonly place: 'before_output_schema' | 'after_output_schema';
  /** appended as is: start it with a blank line */
  readonly text: string;
}

export interface ToolFamily {
  /** the `target.family` its tools carry */
  readonly family: string;
  /** the tools this chat's agent enables in this family (none: []) */
  offer(chat: ToolChat): Promise<readonly OfferedTool[]>;
  run(call: ToolRun, chat: ToolChat): Promise<ToolOutcome>;
  /** a call started by a worker that died: true runs it again (it changes nothing), false answers it as interrupted */
  rerunnable(target: ToolTarget): boolean;
  /** what this chat's agent adds to the system prompt of every round (none: absent or []) */
  promptSections?(chat: ToolChat): Promise<readonly PromptSection[]>;
  /** calls whose work is another chat's turn (sub-agents): the turn waits for them without a job */
  readonly deferred?: DeferredCalls;
}

/**
 * Calls that run as a turn of another chat (a sub-agent's). An inline `run()` would hold the
 * parent's worker slot for as long as the whole sub-tree runs (and, with every slot taken by
 * waiting parents, no sub-turn could run at all); instead the turn runner records the call as
 * started with its link, lets `advance` start the work, and ends its job. The work's end wakes the
 * turn (a reactor enqueues its job), whose next job calls `advance` again and records the outcome.
 * Both methods throw as `run()` does (ForbiddenError, ValidationError…) for a call that cannot run.
 */
export interface DeferredCalls {
  /** checks the call and names where it runs (the sub-chat), before anything starts */
  link(call: ToolRun, chat: ToolChat): Promise<string>;
  /**
   * Starts the work at `link` unless it has started (a retried job calls it again: idempotent),
   * and gives its outcome once it ended; undefined while it runs.
   */
  advance(call: ToolRun, chat: ToolChat, link: string): Promise<ToolOutcome | undefined>;
}
