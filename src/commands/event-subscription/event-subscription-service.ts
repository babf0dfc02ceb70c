/**
 * The event subscription use cases. A new subscription gets a Standard Webhooks signing secret,
 * sealed under the master keyring before it reaches a command: the plaintext is returned once, to
 * the creator, and exists nowhere else. The url is checked against SSRF rules here and again at
 * every delivery.
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '../../errors.js';
import {
  eventSubscriptionStream,
  type SubscriptionFields,
  type SubscriptionScope,
} from '../../events/event-subscription-events.js';
import { versionOfRevision } from '../../events/versions.js';
import type { Sealer } from '../../runtime/cipher.js';
import { generateSigningSecret } from '../../runtime/webhooks/signature.js';
import type { OutboundGuard } from '../../runtime/outbound/outbound-guard.js';
import type { CommandContext, CommandHandler } from '../command-handler.js';
import { validate } from '../validation.js';
import {
  eventSubscriptionDecider,
  type Caller,
  type EventSubscriptionState,
} from './event-subscription-decider.js';
import {
  createSubscriptionSchema,
  updateSubscriptionSchema,
  type SubscriptionInput,
} from './event-subscription-schemas.js';

export type LiveSubscription = Extract<EventSubscriptionState, { status: 'active' }>;

export interface SubscriptionWrite {
  readonly subscription: LiveSubscription & { readonly version: number };
  readonly position: bigint | undefined;
  /** the signing secret in plaintext: only on creation */
  readonly secret?: string;
}

export class EventSubscriptionService {
  constructor(
    private readonly handler: CommandHandler,
    private readonly cipher: Sealer,
    private readonly guard: OutboundGuard,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `mayWatchAll`: the caller holds sinas.webhooks.read:all and so may subscribe to every event. */
  async create(body: unknown, by: Caller, mayWatchAll: boolean, ctx: CommandContext) {
    const input = validate<SubscriptionInput>(createSubscriptionSchema, structuredClone(body));
    await this.guard.check(input.url!);
    const scope: SubscriptionScope = input.scope ?? (mayWatchAll ? 'all' : 'own');
    if (scope === 'all' && !mayWatchAll)
      throw new ForbiddenError("scope 'all' needs the permission sinas.webhooks.read:all", 'scope');
    const subscriptionId = randomUUID();
    const secret = generateSigningSecret();
    const r = await this.handler.handle(
      eventSubscriptionDecider,
      eventSubscriptionStream(subscriptionId),
      {
        type: 'CreateEventSubscription',
        subscriptionId,
        url: input.url!,
        eventTypes: input.event_types ?? [],
        categories: input.categories ?? [],
        description: input.description ?? null,
        active: input.active ?? true,
        scope,
        secret: this.cipher.seal(secret, subscriptionId),
        by,
        at: this.now().toISOString(),
      },
      ctx,
    );
    return { ...written(r), secret };
  }

  async update(id: string, body: unknown, by: Caller, ctx: CommandContext): Promise<SubscriptionWrite> {
    const input = validate<SubscriptionInput>(updateSubscriptionSchema, structuredClone(body));
    if (input.url !== undefined) await this.guard.check(input.url);
    const patch: Partial<SubscriptionFields> = {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.event_types !== undefined ? { eventTypes: input.event_types } : {}),
      ...(input.categories !== undefined ? { categories: input.categories } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.active !== undefined ? { active: input.active } : {}),
    };
    const r = await this.handler.handle(
      eventSubscriptionDecider,
      eventSubscriptionStream(id),
      { type: 'UpdateEventSubscription', patch, by, at: this.now().toISOString() },
      ctx,
    );
    return written(r);
  }

  async remove(id: string, by: Caller, ctx: CommandContext): Promise<{ position: bigint | undefined }> {
    const r = await this.handler.handle(
      eventSubscriptionDecider,
      eventSubscriptionStream(id),
      { type: 'DeleteEventSubscription', by, at: this.now().toISOString() },
      ctx,
    );
    return { position: r.position };
  }
}

function written(r: {
  state: EventSubscriptionState;
  revision: bigint | undefined;
  position: bigint | undefined;
}): SubscriptionWrite {
  const s = r.state as LiveSubscription;
  return { subscription: { ...s, version: versionOfRevision(r.revision) }, position: r.position };
}
