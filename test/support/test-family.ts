/**
 * A real, in-process tool family for tests (our own code under test, not a stand-in for a
 * component): it offers the tools it is given to every chat, runs them as told, and counts and
 * remembers its calls. A tool can answer, fail (any error), or block until the test releases it or
 * the turn's cancel aborts it.
 */
import type { ToolTarget } from '../../src/events/chat-events.js';
import type {
  OfferedTool,
  PromptSection,
  ToolChat,
  ToolFamily,
  ToolOutcome,
  ToolParams,
  ToolRun,
} from '../../src/runtime/turns/tool-family.js';

export interface TestTool {
  readonly name: string;
  readonly requiresApproval?: boolean;
  readonly params?: ToolParams;
  /** may a call a dead worker started run again (default true) */
  readonly rerunnable?: boolean;
  /** the call's outcome; throw to fail it. Default: `{status: 'ok', result: {echo: arguments}}` */
  readonly run?: (call: ToolRun, chat: ToolChat) => Promise<ToolOutcome> | ToolOutcome;
  /** the status key and fallback text (default `test:<name>` / `Testing <name>`) */
  readonly status?: { readonly key: string; readonly fallback: string };
}

export interface RecordedCall {
  readonly toolCallId: string;
  readonly tool: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly userId: string;
  aborted: boolean;
}

export class TestFamily implements ToolFamily {
  readonly family = 'test';
  readonly calls: RecordedCall[] = [];
  /** calls running now, by tool call id */
  readonly running = new Set<string>();
  /** chats offered tools to (each model round asks) */
  offers = 0;
  failOffer: Error | undefined;
  /** what it adds to the system prompt of every round */
  sections: readonly PromptSection[] = [];

  constructor(private readonly tools: readonly TestTool[]) {}

  offer(_chat: ToolChat): Promise<readonly OfferedTool[]> {
    this.offers++;
    if (this.failOffer) return Promise.reject(this.failOffer);
    return Promise.resolve(
      this.tools.map((t) => ({
        tool: {
          type: 'function' as const,
          function: { name: t.name, description: `test tool ${t.name}`, parameters: { type: 'object' } },
        },
        target: { family: 'test', ref: { tool: t.name } },
        ...(t.params ? { params: t.params } : {}),
        ...(t.requiresApproval ? { requiresApproval: true } : {}),
        status: t.status ?? { key: `test:${t.name}`, fallback: `Testing ${t.name}` },
      })),
    );
  }

  async run(call: ToolRun, chat: ToolChat): Promise<ToolOutcome> {
    const tool = this.tools.find((t) => t.name === call.target.ref.tool);
    if (!tool) throw new Error(`no test tool ${call.target.ref.tool}`);
    const recorded: RecordedCall = {
      toolCallId: call.toolCallId,
      tool: tool.name,
      arguments: call.arguments,
      userId: chat.userId,
      aborted: false,
    };
    this.calls.push(recorded);
    this.running.add(call.toolCallId);
    call.signal.addEventListener('abort', () => (recorded.aborted = true));
    try {
      return tool.run
        ? await tool.run(call, chat)
        : { status: 'ok', result: { echo: call.arguments }, detail: { tool: tool.name } };
    } finally {
      this.running.delete(call.toolCallId);
    }
  }

  promptSections(_chat: ToolChat): Promise<readonly PromptSection[]> {
    return Promise.resolve(this.sections);
  }

  rerunnable(target: ToolTarget): boolean {
    return this.tools.find((t) => t.name === target.ref.tool)?.rerunnable ?? true;
  }

  callsOf(tool: string): RecordedCall[] {
    return this.calls.filter((c) => c.tool === tool);
  }
}

/** A gate a blocking tool waits on: `wait(signal)` settles when `open()` is called or `signal` aborts. */
export class Gate {
  private opened = false;
  private readonly waiters = new Set<() => void>();

  open(): void {
    this.opened = true;
    for (const w of this.waiters) w();
  }

  wait(signal: AbortSignal): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        this.waiters.delete(done);
        if (signal.aborted) reject(new DOMException('the turn was cancelled', 'AbortError'));
        else resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
