/**
 * What happens to a component besides its configuration lifecycle: its builds and its share links.
 *
 * Builds live in `componentbuild-<componentId>`: a compile request, then its outcome, each naming
 * the SHA-256 of the source it is about. A component's compile status is the last event about its
 * current source (none yet, or a request: pending), so a new source is pending at once, before any
 * worker has seen it, and a change that leaves the source alone keeps its bundle.
 *
 * A share link lives in `componentshare-<sha256(token)>` (the token opens it with one read): created,
 * then one event per view (appended with the expected revision, so `max_views` is exact), then
 * revoked. `componentshares-<componentId>` lists the links of a component.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { NewEvent, RecordedEvent } from './event-store.js';
import { streamName } from './stream-names.js';

export const sourceHash = (source: string) => createHash('sha256').update(source).digest('hex');
const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

export const componentStreams = {
  build: (componentId: string) => streamName('componentbuild', componentId),
  share: (token: string) => streamName('componentshare', tokenHash(token)),
  shares: (componentId: string) => streamName('componentshares', componentId),
} as const;

export interface CompileError {
  readonly text: string;
  readonly line: number | null;
  readonly column: number | null;
}

export type ComponentBuildEvent =
  | {
      type: 'ComponentCompileRequested';
      data: {
        componentId: string;
        namespace: string;
        name: string;
        sourceHash: string;
        at: string;
        /** made by the sweep for a build left pending (its worker died): the n-th such try in a row */
        revival?: number;
      };
    }
  | {
      type: 'ComponentCompiled';
      data: {
        componentId: string;
        sourceHash: string;
        status: 'success' | 'error';
        bundle: string | null;
        /** the bundle's source map (absent in builds recorded before it was kept) */
        sourceMap?: string | null;
        errors: readonly CompileError[];
        at: string;
      };
    };

export type CompileStatus = 'pending' | 'success' | 'error';

export interface BuildState {
  readonly status: CompileStatus;
  readonly bundle: string | null;
  readonly sourceMap: string | null;
  readonly errors: readonly CompileError[];
}

const PENDING: BuildState = { status: 'pending', bundle: null, sourceMap: null, errors: [] };

/** The build of `hash` as the stream's events tell it (the last one about it decides). */
export function buildOf(events: readonly RecordedEvent[], hash: string): BuildState {
  let state = PENDING;
  for (const e of events) {
    const ev = e as unknown as ComponentBuildEvent;
    if (ev.data.sourceHash !== hash) continue;
    switch (ev.type) {
      case 'ComponentCompileRequested':
        state = PENDING;
        break;
      case 'ComponentCompiled':
        state = {
          status: ev.data.status,
          bundle: ev.data.bundle,
          sourceMap: ev.data.sourceMap ?? null,
          errors: ev.data.errors,
        };
        break;
      default: {
        const unreachable: never = ev;
        void unreachable;
      }
    }
  }
  return state;
}

/** An event of these streams, ready to append (`actor`: who asked, or `system`). */
export function componentEvent(
  e: { readonly type: string; readonly data: object },
  actor = 'system',
): NewEvent {
  const id = randomUUID();
  return {
    id,
    type: e.type,
    data: e.data as Readonly<Record<string, unknown>>,
    metadata: { correlationId: id, causationId: id, actor, version: 1 },
  };
}

export interface ShareLink {
  readonly id: string;
  readonly token: string;
  readonly componentId: string;
  readonly namespace: string;
  readonly name: string;
  readonly inputData: Readonly<Record<string, unknown>>;
  readonly expiresAt: string | null;
  readonly maxViews: number | null;
  readonly label: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
}

export type ComponentShareEvent =
  | { type: 'ComponentShareCreated'; data: ShareLink }
  | { type: 'ComponentShareViewed'; data: { at: string } }
  | { type: 'ComponentShareRevoked'; data: { at: string; by: string } };

/** a link's stream folded: undefined before it was created */
export interface ShareState {
  readonly link: ShareLink;
  readonly viewCount: number;
  readonly revoked: boolean;
  /** the stream's last revision (a view is appended expecting it) */
  readonly revision: bigint;
}

export function shareOf(events: readonly RecordedEvent[]): ShareState | undefined {
  let state: ShareState | undefined;
  for (const e of events) {
    const ev = e as unknown as ComponentShareEvent;
    switch (ev.type) {
      case 'ComponentShareCreated':
        state = { link: ev.data, viewCount: 0, revoked: false, revision: e.revision };
        break;
      case 'ComponentShareViewed':
        if (state) state = { ...state, viewCount: state.viewCount + 1, revision: e.revision };
        break;
      case 'ComponentShareRevoked':
        if (state) state = { ...state, revoked: true, revision: e.revision };
        break;
      default: {
        const unreachable: never = ev;
        void unreachable;
      }
    }
  }
  return state;
}
