/**
 * Events written before versions counted from 1 (schema version 1 of the chat and execution events)
 * carry the agent's or function's stream revision where they name the version a turn or an execution
 * ran under; read, they carry the version (revision + 1, ./versions.ts). Events written since are
 * schema version 2 and carry the version itself.
 */
import { versionOfRevision } from './versions.js';

type Data = Readonly<Record<string, unknown>>;

/** the events (schema version 1) whose `agentVersion` was the agent stream's revision */
const withAgentVersion = ['ChatCreated', 'TurnStarted', 'AssistantMessageCompleted'] as const;

const agentVersionFromOne = (d: Data): Record<string, unknown> =>
  typeof d.agentVersion === 'number' ? { ...d, agentVersion: versionOfRevision(d.agentVersion) } : { ...d };

const functionVersionFromOne = (d: Data): Record<string, unknown> => {
  const fn = d.function as Data | undefined;
  return fn && typeof fn.version === 'number'
    ? { ...d, function: { ...fn, version: versionOfRevision(fn.version) } }
    : { ...d };
};

/** [event type, the schema version it upcasts from, the upcaster] */
export const versionUpcasts: readonly (readonly [string, number, (d: Data) => Record<string, unknown>])[] = [
  ...withAgentVersion.map((type) => [type, 1, agentVersionFromOne] as const),
  ['ExecutionRequested', 1, functionVersionFromOne],
];
