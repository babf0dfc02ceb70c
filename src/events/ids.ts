/**
 * Ids: branded strings where two ids are easy to mix up (a chat's and a turn's, an execution's and
 * a user's), and deterministic ids (the same key always gives the same UUID-shaped id, so retries
 * find their earlier work). A brand costs nothing at run time: it is a string the compiler tells
 * apart. Ids get their brand where they enter: made (`new…`), or read from a request, a row, a job
 * or an event (`as…`: the value was checked or written by us, only its type is new).
 */
import { createHash, randomUUID } from 'node:crypto';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ChatId = Brand<string, 'ChatId'>;
export type TurnId = Brand<string, 'TurnId'>;
export type ExecutionId = Brand<string, 'ExecutionId'>;
export type UserId = Brand<string, 'UserId'>;

export const asChatId = (id: string) => id as ChatId;
export const asTurnId = (id: string) => id as TurnId;
export const asExecutionId = (id: string) => id as ExecutionId;
export const asUserId = (id: string) => id as UserId;

export const newChatId = () => randomUUID() as ChatId;
export const newTurnId = () => randomUUID() as TurnId;
export const newExecutionId = () => randomUUID() as ExecutionId;
export const newUserId = () => randomUUID() as UserId;

export function stableUuid(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
