/**
 * The turn's side of tool families (tool-family.ts): each model round offers every family's tools
 * next to the function tools (asked in parallel; a family that fails to offer sits the round out;
 * a name already taken keeps its first owner), and one call runs inline with the family's errors
 * mapped to the result the model sees — forbidden, an error result, or, for a dependency outage,
 * rethrown so the job retries. Results are kept whole (capped) when the model's copy is cut.
 */
import type { Logger } from 'pino';
import { isConnectionError } from '../../dependency-errors.js';
import { ForbiddenError, SinasError } from '../../errors.js';
import type { ToolCallDetail, ToolResultStatus } from '../../events/chat-events.js';
import type { LlmTool } from '../llm/llm.js';
import type { PromptSection, ToolChat, ToolFamily, ToolOutcome, ToolRun } from './tool-family.js';
import { RESULT_LIMIT, serializeResult, type FamilyTool, type ToolSet } from './tools.js';

/** the most of a cut result kept whole for `retrieve_tool_result` (256 KiB of characters) */
export const FULL_RESULT_LIMIT = 256 * 1024;
const FULL_TRUNCATED = `\n\n[... result truncated at ${FULL_RESULT_LIMIT} characters]`;

/** What the call records: the model's copy, and the whole text when that copy was cut. */
export interface RecordedResult {
  readonly result: string;
  readonly fullResult?: string;
}

/** `serializeResult` for the model, plus the whole text (capped) when it had to be cut. */
export function recordResult(value: unknown): RecordedResult {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  if (text.length <= RESULT_LIMIT) return { result: text };
  const full = text.length > FULL_RESULT_LIMIT ? text.slice(0, FULL_RESULT_LIMIT) + FULL_TRUNCATED : text;
  return { result: serializeResult(text), fullResult: full };
}

/** The round's tools: `set` first, then each family's offer in list order; a taken name is left out. */
export async function withFamilies(
  set: ToolSet,
  families: readonly ToolFamily[],
  chat: ToolChat,
  log: Pick<Logger, 'warn'>,
): Promise<ToolSet> {
  if (families.length === 0) return set;
  const offers = await Promise.all(
    families.map((family) =>
      family.offer(chat).then(
        (tools) => ({ family, tools }),
        (err: unknown) => {
          // one family's failure (its catalogue unreadable) costs the round its tools, not the turn
          log.warn(
            { err, chatId: chat.chatId, family: family.family },
            'a tool family failed to offer its tools',
          );
          return { family, tools: [] };
        },
      ),
    ),
  );
  const taken = new Set(set.tools.map((t) => t.function.name));
  const tools: LlmTool[] = [...set.tools];
  const byName = new Map<string, FamilyTool>(set.families ?? []);
  for (const { family, tools: offered } of offers)
    for (const o of offered) {
      const name = o.tool.function.name;
      if (taken.has(name)) {
        log.warn(
          { chatId: chat.chatId, family: family.family, tool: name },
          'a tool name is taken: the first keeps it',
        );
        continue;
      }
      taken.add(name);
      tools.push(o.tool);
      byName.set(name, { family, offered: o });
    }
  return { ...set, tools, families: byName };
}

/**
 * The families' system-prompt text for this round, by place; a family that fails to give it is
 * logged and left out of the round (the model answers without that context rather than not at all).
 */
export async function promptSectionsOf(
  families: readonly ToolFamily[],
  chat: ToolChat,
  log: Pick<Logger, 'warn'>,
): Promise<{ before: string; after: string }> {
  const all = await Promise.all(
    families.map((family) =>
      (family.promptSections?.(chat) ?? Promise.resolve([])).catch((err: unknown) => {
        log.warn(
          { err, chatId: chat.chatId, family: family.family },
          'a tool family failed to add its context',
        );
        return [];
      }),
    ),
  );
  const text = (place: PromptSection['place']) =>
    all
      .flat()
      .filter((s) => s.place === place)
      .map((s) => s.text)
      .join('');
  return { before: text('before_output_schema'), after: text('after_output_schema') };
}

/** How an inline call ended, as the chat records it. */
export interface InlineResult extends RecordedResult {
  readonly status: Extract<ToolResultStatus, 'ok' | 'error' | 'forbidden'>;
  readonly detail?: ToolCallDetail;
}

/** The message an inline call gets when a worker died during it and it may not run again. */
export const INTERRUPTED =
  'The worker running this call stopped before it finished; it was not run again because it may have had effects.';

/**
 * Runs one call of `family`. A ForbiddenError is `forbidden`; a dependency outage is rethrown (the
 * job retries); any other failure is an error result `{error: message}` the model reads.
 */
export async function runInline(
  family: ToolFamily,
  run: ToolRun,
  chat: ToolChat,
  log: Pick<Logger, 'warn'>,
): Promise<InlineResult> {
  try {
    return inlineResult(await family.run(run, chat));
  } catch (err) {
    return failedInline(err, family, run, chat, log);
  }
}

/** The outcome a family gave, as the chat records it. */
export function inlineResult(outcome: ToolOutcome): InlineResult {
  return {
    status: outcome.status,
    ...recordResult(outcome.result ?? null),
    ...(outcome.detail ? { detail: outcome.detail } : {}),
  };
}

/** How a family's thrown error is recorded (see runInline); a dependency outage is rethrown. */
export function failedInline(
  err: unknown,
  family: ToolFamily,
  run: ToolRun,
  chat: ToolChat,
  log: Pick<Logger, 'warn'>,
): InlineResult {
  if (isConnectionError(err)) throw err;
  if (err instanceof ForbiddenError)
    return {
      status: 'forbidden',
      result: serializeResult({ error: 'Not permitted', message: err.message }),
    };
  // not one of the platform's errors, nor the turn's cancel: a fault in the family (the model still gets an answer)
  if (!(err instanceof SinasError) && !run.signal.aborted)
    log.warn(
      { err, chatId: chat.chatId, toolCallId: run.toolCallId, family: family.family },
      'a tool family call failed',
    );
  return { status: 'error', result: serializeResult({ error: (err as Error)?.message ?? String(err) }) };
}
