/**
 * What happens to one function execution (stream `execution-<id>`, DESIGN §7):
 * Requested → Started → (AwaitingInput → Resumed → Started)* → Completed | Failed | Cancelled | TimedOut.
 * Each run is started by an event before it runs, so a retried job sees the start and never runs it twice.
 */

export type TriggerType = 'AGENT' | 'API' | 'MANUAL' | 'HOOK' | 'WEBHOOK' | 'SCHEDULE' | 'CDC';

export interface FunctionRef {
  readonly namespace: string;
  readonly name: string;
  readonly id: string;
  /**
   * the function's version the execution runs, from 1 (its code and schemas are read at that version;
   * schema version 1 of the event held the stream revision: see version-upcasts.ts)
   */
  readonly version: number;
}

export interface ExecutionRequestedData {
  readonly executionId: string;
  readonly function: FunctionRef;
  readonly userId: string;
  readonly userEmail: string | null;
  readonly input: unknown;
  readonly triggerType: TriggerType;
  readonly triggerId: string;
  readonly chatId: string | null;
  readonly toolCallId: string | null;
  readonly timeoutMs: number;
  readonly sharedPool: boolean;
  /** set for an asynchronous on_assistant_message hook: the reply its result revises */
  readonly hook?: {
    readonly phase: 'assistant';
    readonly ref: string;
    readonly turnId: string;
    readonly messageId: string;
  };
  readonly at: string;
}

/** What a run printed and where it ran; carried by every run-ending event. */
export interface RunReport {
  readonly run: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly logs: readonly string[];
  readonly containerId: string | null;
  readonly durationMs: number;
}

export type ExecutionEvent =
  | { readonly type: 'ExecutionRequested'; readonly data: ExecutionRequestedData }
  | {
      readonly type: 'ExecutionStarted';
      readonly data: { readonly run: number; readonly worker: string; readonly at: string };
    }
  | {
      readonly type: 'ExecutionAwaitingInput';
      readonly data: RunReport & { readonly prompt: string; readonly at: string };
    }
  | {
      readonly type: 'ExecutionResumed';
      /** run: the run that will answer with it */
      readonly data: {
        readonly answer: unknown;
        readonly run: number;
        readonly by: string;
        readonly at: string;
      };
    }
  | {
      readonly type: 'ExecutionCompleted';
      readonly data: RunReport & { readonly output: unknown; readonly at: string };
    }
  | {
      readonly type: 'ExecutionFailed';
      readonly data: Partial<RunReport> & {
        readonly error: string;
        readonly traceback: string | null;
        readonly at: string;
      };
    }
  | {
      readonly type: 'ExecutionTimedOut';
      readonly data: RunReport & { readonly error: string; readonly at: string };
    }
  | { readonly type: 'ExecutionCancelled'; readonly data: { readonly by: string; readonly at: string } };

export type ExecutionEventType = ExecutionEvent['type'];

export const EXECUTION_TERMINAL_EVENTS: readonly ExecutionEventType[] = [
  'ExecutionCompleted',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionCancelled',
];
