/**
 * The branded ids the command services take, for their callers (http reads them from requests,
 * runtime from jobs): the same types as src/events/ids.ts, so a caller needs no event imports.
 */
export {
  asChatId,
  asExecutionId,
  asTurnId,
  asUserId,
  newChatId,
  newExecutionId,
  newTurnId,
  newUserId,
  type ChatId,
  type ExecutionId,
  type TurnId,
  type UserId,
} from '../events/ids.js';
