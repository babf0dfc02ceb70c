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
import type { HistoryWindow } from '../turns/history-window.js';
import type { ResolvedModel } from '../turns/provider-resolver.js';
import { structuredOutput } from '../turns/structured-output.js';
import type { ToolChat, ToolFamily } from '../turns/tool-family.js';
import { functionTools, planCalls, type ToolSet } from '../turns/tools.js';
import { normalizedArguments, type RecordedTurn } from './recorded-turns.js';
import { ScratchTurn } from './scratch-turn.js';
import { answerUnrecorded, type ExecuteDeps, type UnrecordedAnswer } from './unrecorded-calls.js';
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
  const toolChat = toolChatOf(c.spec, c.chat);
  const functions = await functionTools(c.spec, c.chat.input, d.functions);
  const [set, sections] = await Promise.all([
    withFamilies(functions, d.families, toolChat, d.log),
    promptSectionsOf(d.families, toolChat, d.log),
  ]);
  const structured = structuredOutput(c.spec, c.chat.agent.name);
  return { set, suffix: sections.before + (structured?.instruction ?? '') + sections.after };
}

/** The replayed chat as the tool families see it (its own user; `execute` runs as the requester). */
export function toolChatOf(spec: Readonly<Record<string, unknown>>, chat: ChatCreatedData): ToolChat {
  return {
    chatId: asChatId(chat.chatId),
    userId: chat.userId,
    input: chat.input,
    agent: { namespace: chat.agent.namespace, name: chat.agent.name },
    agentSpec: spec,
  };
}

export async function replayTurn(
  d: ReplayDeps,
  c: ReplayContext,
  tools: { set: ToolSet; suffix: string },
  turn: RecordedTurn,
): Promise<CandidateOutcome> {
  const started = performance.now();
  const structured = structuredOutput(c.spec, c.chat.agent.name);
  const scratch = new ScratchTurn(turn);
  const sources = {
    systemPrompt: c.spec.system_prompt as string | null,
    input: c.chat.input,
    suffix: tools.suffix,
    ...(d.history ? { window: d.history } : {}),
  };
  const calls: CandidateCall[] = [];
  let usage: Usage = zeroUsage;
  let corrected = false;
  const outcome = (answer: string | null, error?: string, valid?: boolean): CandidateOutcome => ({
    answer,
    tool_calls: calls,
    usage,
    model: c.resolved.model,
    output_schema_valid: schemaValid(structured, answer, valid),
    ...(corrected ? { output_schema_corrected: true } : {}),
    latency_ms: Math.round(performance.now() - started),
    ...(error ? { error } : {}),
  });
  for (let round = 0; ; round++) {
    // rebuilt from the events every round, as a real turn's are: the history window applies each time
    const base = await d.resolveParts(scratch.messages(sources));
    let messages = base;
    // a final reply that does not match output_schema gets one corrective call, as in a real turn
    for (let correction = 0; ; correction++) {
      let result: LlmResult;
      try {
        result = await d.llm.complete(
          c.resolved.endpoint,
          request(c, tools.set, messages, structured),
          () => {},
        );
      } catch (err) {
        return outcome(null, (err as Error).message);
      }
      usage = added(usage, result.usage);
      if (result.toolCalls.length > 0 && tools.set.tools.length > 0) {
        if (round >= d.maxToolRounds)
          return outcome(null, `Tool iteration limit (${d.maxToolRounds}) reached`);
        scratch.reply(result, c.resolved.model);
        calls.push(...(await answerCalls(c, tools.set, turn, scratch, result)));
        break;
      }
      const problem = structured?.problem(result.content);
      if (problem === undefined) return outcome(result.content);
      if (correction > 0) return outcome(null, `the reply did not match output_schema: ${problem}`, false);
      corrected = true;
      messages = [...base, ...structured!.correction(result.content, problem)];
    }
  }
}

/** Each call of the reply answered from the recording or by the policy, its answer kept in `scratch`. */
async function answerCalls(
  c: ReplayContext,
  set: ToolSet,
  turn: RecordedTurn,
  scratch: ScratchTurn,
  result: LlmResult,
): Promise<CandidateCall[]> {
  const plans = planCalls(result.toolCalls, set);
  const calls: CandidateCall[] = [];
  for (const [i, call] of result.toolCalls.entries()) {
    const args = normalizedArguments(call.function.arguments);
    const match = turn.calls.find((r) => r.name === call.function.name && r.arguments === args);
    const retrieved = match ? undefined : scratch.retrieved(plans[i]!);
    const answer: UnrecordedAnswer = match
      ? { answered: 'recorded', result: match.result }
      : retrieved !== undefined
        ? { answered: 'retrieved', result: retrieved }
        : await answerUnrecorded(plans[i]!, c.policy, c.execute);
    const { answered, reason, detail } = answer;
    calls.push({
      name: call.function.name,
      arguments: args,
      answered,
      ...(reason ? { reason } : {}),
      ...(detail ? { detail } : {}),
    });
    scratch.result(call.id, call.function.name, answer.result);
  }
  return calls;
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

/** null without output_schema, or when no reply was checked; else whether the answer matched it */
function schemaValid(
  structured: ReturnType<typeof structuredOutput>,
  answer: string | null,
  valid: boolean | undefined,
): boolean | null {
  if (!structured) return null;
  if (valid !== undefined) return valid;
  return answer === null ? null : structured.problem(answer) === undefined;
}

function added(a: Usage, b: Usage): Usage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}
