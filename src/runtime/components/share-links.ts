/**
 * Share links of a component (reference §5.9): a random token opens the component's page without
 * signing in, with the input stored on the link, until it expires or has been viewed `max_views`
 * times. Each view is an event appended with the link stream's expected revision, so concurrent
 * opens are counted exactly: of 50 at once on a link of 10 views, exactly 10 render and the rest
 * are told it is used up (a view that lost the race reads the link again and decides again).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ConcurrencyError, GoneError, NotFoundError } from '../../errors.js';
import {
  componentEvent,
  componentStreams,
  shareOf,
  type ComponentShareEvent,
  type ShareLink,
  type ShareState,
} from '../../events/component-events.js';
import type { EventStore } from '../../events/event-store.js';

export interface ShareRequest {
  readonly input_data?: Readonly<Record<string, unknown>>;
  readonly expires_at?: string | null;
  readonly max_views?: number | null;
  readonly label?: string | null;
}

export interface SharedItem {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
}

/** a view may lose the race to every other view of the link once: it then reads it again */
const MAX_ROUNDS = 1000;

export class ShareLinks {
  constructor(private readonly store: EventStore) {}

  async create(item: SharedItem, r: ShareRequest, actor: string, now = new Date()): Promise<ShareState> {
    const link: ShareLink = {
      id: randomUUID(),
      token: randomBytes(32).toString('base64url'),
      componentId: item.id,
      namespace: item.namespace,
      name: item.name,
      inputData: r.input_data ?? {},
      expiresAt: r.expires_at ?? null,
      maxViews: r.max_views ?? null,
      label: r.label ?? null,
      createdBy: actor,
      createdAt: now.toISOString(),
    };
    const created: ComponentShareEvent = { type: 'ComponentShareCreated', data: link };
    const written = await this.store.append(
      componentStreams.share(link.token),
      [componentEvent(created, actor)],
      'no_stream',
    );
    const listed = { type: 'ComponentShareListed', data: { token: link.token, at: link.createdAt } };
    await this.store.append(componentStreams.shares(item.id), [componentEvent(listed, actor)], 'any');
    return { link, viewCount: 0, revoked: false, revision: written.nextExpectedRevision };
  }

  /** the component's links that are not revoked, oldest first */
  async list(item: SharedItem): Promise<ShareState[]> {
    const listed = await this.store.readStream(componentStreams.shares(item.id));
    const links = await Promise.all(listed.map((e) => this.read(String(e.data.token))));
    return links.filter((s): s is ShareState => s !== undefined && !s.revoked);
  }

  async revoke(item: SharedItem, token: string, actor: string): Promise<void> {
    for (;;) {
      const s = await this.read(token);
      if (!s || s.revoked || s.link.componentId !== item.id)
        throw new NotFoundError('share link not found', 'token');
      const revoked: ComponentShareEvent = {
        type: 'ComponentShareRevoked',
        data: { at: new Date().toISOString(), by: actor },
      };
      try {
        await this.store.append(componentStreams.share(token), [componentEvent(revoked, actor)], s.revision);
        return;
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err; // a view came first: read again
      }
    }
  }

  /**
   * Counts one view of the link and returns it, after `ready` accepted its component (a component
   * not compiled counts no view); 404 unknown or revoked, 410 expired or used up.
   */
  async view(
    token: string,
    ready: (link: ShareLink) => Promise<void>,
    now = new Date(),
  ): Promise<ShareState> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const s = await this.read(token);
      if (!s || s.revoked) throw new NotFoundError('share link not found', 'token');
      if (s.link.expiresAt !== null && Date.parse(s.link.expiresAt) <= now.getTime())
        throw new GoneError('Share link has expired', 'token');
      if (s.link.maxViews !== null && s.viewCount >= s.link.maxViews)
        throw new GoneError('Share link has reached maximum views', 'token');
      await ready(s.link);
      const viewed: ComponentShareEvent = { type: 'ComponentShareViewed', data: { at: now.toISOString() } };
      // a link without a view limit has nothing to count exactly: views need not take turns
      const expected = s.link.maxViews === null ? 'any' : s.revision;
      try {
        await this.store.append(componentStreams.share(token), [componentEvent(viewed)], expected);
        return { ...s, viewCount: s.viewCount + 1 };
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err; // another view came first: decide again
      }
    }
    throw new ConcurrencyError(componentStreams.share(token), 'a free turn', 'contended');
  }

  private async read(token: string): Promise<ShareState | undefined> {
    return shareOf(await this.store.readStream(componentStreams.share(token)));
  }
}
