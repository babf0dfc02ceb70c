/**
 * Replays one recorded user turn against the candidate in a scratch context held in memory: the
 * candidate sees the recorded history up to the turn, calls the model round after round, and each
 * tool call it makes is answered from the recording (same tool, same key-sorted arguments) or by
 * the run's policy. Nothing is appended anywhere; the caller records the report.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { ChatCreatedData } from '../../events/chat-events.js';
import { asChatId } from '../../events/ids.js';
import { zeroUsage, type Llm, type LlmMessage, type LlmResult } from '../llm/llm.js';
import type { ResolveParts } from '../parts/part-wire.js';
import { promptSectionsOf, withFamilies } from '../turns/family-tools.js';
import { messagesForTurn } from '../turns/history.js';
import type { HistoryWindow } from '../turns/history-window.js';
import type { ResolvedModel } from '../turns/provider-resolver.js';
import { structuredOutput } from '../turns/structured-output.js';
import type { ToolChat, ToolFamily } from '../turns/tool-family.js';
import { functionTools, planCalls, type ToolSet } from '../turns/tools.js';
import { normalizedArguments, type RecordedTurn } from './recorded-turns.js';
import { answerUnrecorded, type ExecuteDeps } from './unrecorded-calls.js';
import type { CandidateCall, TurnReport, UnrecordedPolicy, Usage } from './whatif-events.js';

export interface ReplayDeps {
  readonly llm: Llm;
  readonly functions: ResourceService;
  readonly families: readonly ToolFamily[];
  readonly resolveParts: ResolveParts;
  readonly maxToolRounds: number;
  readonly history?: HistoryWindow;
  readonly log: Pick<Logger, 'warn'>;
}

/** What stays the same for every turn of one chat in a run. */
export interface ReplayContext {
  readonly spec: Readonly<Record<string, unknown>>;
  readonly resolved: ResolvedModel;
  readonly chat: ChatCreatedData;
  readonly policy: UnrecordedPolicy;
  readonly execute: ExecuteDeps;
}

export type CandidateOutcome = Omit<TurnReport['candidate'], 'cost'>;

/** The candidate's tools and system-prompt additions for the chat, offered once per chat. */
export async function candidateTools(
  d: ReplayDeps,
  c: Omit<ReplayContext, 'resolved' | 'policy' | 'execute'>,
): Promise<{ set: ToolSet; suffix: string }> {
  const toolChat: ToolChat = {
    chatId: asChatId(c.chat.chatId),
    userId: c.chat.userId,
    input: c.chat.input,
    agent: { namespace: c.chat.agent.namespace, name: c.chat.agent.name },
    agentSpec: c.spec,
  };
  const functions = await functionTools(c.spec, c.chat.input, d.functions);
  const [set, sections] = await Promise.all([
    withFamilies(functions, d.families, toolChat, d.log),
    promptSectionsOf(d.families, toolChat, d.log),
  ]);
  const structured = structuredOutput(c.spec, c.chat.agent.name);
  return { set, suffix: sections.before + (structured?.instruction ?? '') + sections.after };
}

export async function replayTurn(
  d: ReplayDeps,
  c: ReplayContext,
  tools: { set: ToolSet; suffix: string },
  turn: RecordedTurn,
): Promise<CandidateOutcome> {
  const started = performance.now();
  const structured = structuredOutput(c.spec, c.chat.agent.name);
  const messages: LlmMessage[] = await d.resolveParts(
    messagesForTurn(turn.history, turn.turnId, {
      systemPrompt: c.spec.system_prompt as string | null,
      input: c.chat.input,
      suffix: tools.suffix,
      ...(d.history ? { window: d.history } : {}),
    }),
  );
  const calls: CandidateCall[] = [];
  let usage: Usage = zeroUsage;
  const outcome = (answer: string | null, extra: { error?: string } = {}): CandidateOutcome => ({
    answer,
    tool_calls: calls,
    usage,
    model: c.resolved.model,
    output_schema_valid: structured && answer !== null ? structured.problem(answer) === undefined : null,
    latency_ms: Math.round(performance.now() - started),
    ...extra,
  });
  for (let round = 0; ; round++) {
    let result: LlmResult;
    try {
      result = await d.llm.complete(
        c.resolved.endpoint,
        request(c, tools.set, messages, structured),
        () => {},
      );
    } catch (err) {
      return outcome(null, { error: (err as Error).message });
    }
    usage = added(usage, result.usage);
    if (result.toolCalls.length === 0 || tools.set.tools.length === 0) return outcome(result.content);
    if (round >= d.maxToolRounds)
      return outcome(null, { error: `Tool iteration limit (${d.maxToolRounds}) reached` });
    messages.push({ role: 'assistant', content: result.content || null, tool_calls: result.toolCalls });
    const plans = planCalls(result.toolCalls, tools.set);
    for (const [i, call] of result.toolCalls.entries()) {
      const args = normalizedArguments(call.function.arguments);
      const match = turn.calls.find((r) => r.name === call.function.name && r.arguments === args);
      const answer = match
        ? { answered: 'recorded' as const, result: match.result }
        : await answerUnrecorded(plans[i]!, c.policy, c.execute);
      calls.push({ name: call.function.name, arguments: args, answered: answer.answered });
      messages.push({
        role: 'tool',
        tool_call_id: call.id,
        name: call.function.name,
        content: answer.result,
      });
    }
  }
}

function request(
  c: ReplayContext,
  set: ToolSet,
  messages: readonly LlmMessage[],
  structured: ReturnType<typeof structuredOutput>,
) {
  return {
    model: c.resolved.model,
    messages,
    temperature: c.spec.temperature as number | undefined,
    ...(c.spec.max_tokens ? { max_tokens: c.spec.max_tokens as number } : {}),
    ...(structured ? { response_format: structured.responseFormat } : {}),
    ...(set.tools.length > 0 ? { tools: set.tools, tool_choice: 'auto' as const } : {}),
  };
}

function added(a: Usage, b: Usage): Usage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}
