/**
 * Identity use cases: users (one email each, claimed race-free through the event store), roles with
 * permission maps and members, the default roles kept in sync at start, and the bootstrap admin.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, NotFoundError, ValidationError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import { normalizeEmail, type PermissionMap } from '../../events/identity-events.js';
import { newUserId, type UserId } from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import { foldRecorded, type CommandContext, type CommandHandler } from '../command-handler.js';
import { upcast } from '../../events/upcasters.js';
import { checkedVersion } from '../../events/versions.js';
import {
  emailDecider,
  roleDecider,
  userDecider,
  type RoleCommand,
  type UserCommand,
  type RoleState,
  type UserState,
} from './identity-deciders.js';

export interface DefaultRole {
  readonly description: string;
  readonly permissions: PermissionMap;
  /** keys forced to these values at every start (Admins' `sinas.*:all`) */
  readonly forced?: PermissionMap;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const ROLE_NAME = '^[A-Za-z][A-Za-z0-9_ -]{0,99}$';

type Ctx = Omit<CommandContext, 'actor'> & { readonly actor: string };

/** A command as a caller states it: the service stamps the time (and a new role's id). */
export type Unstamped<C> = C extends unknown ? Omit<C, 'at' | 'roleId'> : never;

export class IdentityService {
  constructor(
    private readonly handler: CommandHandler,
    private readonly store: EventStore,
    /** the roles of the user, from the read model (deleting a user leaves its roles) */
    private readonly rolesOf: (userId: string) => Promise<string[]>,
    private readonly now: () => Date = () => new Date(),
    private readonly newId: () => string = randomUUID,
  ) {}

  /** Creates a user with this email (409 when one exists); new users join GuestUsers unless told not to. */
  async createUser(
    email: string,
    ctx: Ctx,
    userId: UserId = newUserId(),
    options: { readonly joinGuests?: boolean } = {},
  ): Promise<{ userId: UserId; position?: bigint }> {
    const address = normalizeEmail(email);
    if (!EMAIL.test(address)) throw new ValidationError('email: not an email address', 'email');
    const at = this.now().toISOString();
    // a claim whose user was never created (a crash in between) is finished by whoever comes next
    const held = (await this.handler.load(emailDecider, streams.email(address))).state.holder;
    if (held && (await this.loadUser(held)).status !== 'absent')
      throw new AlreadyExistsError(`a user with email ${address} already exists`, 'email');
    const claim = await this.handler.handle(
      emailDecider,
      streams.email(address),
      { type: 'ClaimEmail', email: address, userId: held ?? userId, at },
      { ...ctx, commandId: `${ctx.commandId}:email` },
    );
    const holder = claim.state.holder!;
    const r = await this.handler.handle(
      userDecider,
      streams.user(holder),
      { type: 'CreateUser', userId: holder, email: address, by: ctx.actor, at },
      { ...ctx, commandId: `${ctx.commandId}:user` },
    );
    if (options.joinGuests === false) return { userId: holder, position: r.position };
    const joined = await this.role(
      'GuestUsers',
      { type: 'AddMember', userId: holder, at },
      { ...ctx, commandId: `${ctx.commandId}:guest` },
    ).catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    return { userId: holder, position: joined?.position ?? r.position };
  }

  /** The user holding `email`, created when there is none (bootstrap). */
  async ensureUser(email: string, ctx: Ctx, userId?: UserId): Promise<UserId> {
    const address = normalizeEmail(email);
    const claim = await this.handler.load(emailDecider, streams.email(address));
    if (claim.state.holder) {
      const u = await this.loadUser(claim.state.holder);
      if (u.status !== 'absent') return claim.state.holder;
    }
    return (await this.createUser(address, ctx, userId)).userId;
  }

  async deleteUser(userId: UserId, ctx: Ctx): Promise<bigint | undefined> {
    if (userId === ctx.actor) throw new ValidationError('user_id: you cannot delete yourself', 'user_id');
    const at = this.now().toISOString();
    const u = await this.loadUser(userId);
    if (u.status !== 'active' && u.status !== 'inactive') throw new NotFoundError('user not found');
    let last: bigint | undefined;
    for (const role of await this.rolesOf(userId)) {
      const r = await this.role(
        role,
        { type: 'RemoveMember', userId, at },
        { ...ctx, commandId: `${ctx.commandId}:${role}` },
      ).catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
      last = r?.position ?? last;
    }
    const r = await this.handler.handle(
      userDecider,
      streams.user(userId),
      { type: 'DeleteUser', by: ctx.actor, at },
      ctx,
    );
    await this.handler.handle(
      emailDecider,
      streams.email(u.email),
      { type: 'ReleaseEmail', userId, at },
      { ...ctx, commandId: `${ctx.commandId}:email` },
    );
    return r.position ?? last;
  }

  userCommand(userId: UserId, command: UserCommand, ctx: Ctx) {
    return this.handler.handle(userDecider, streams.user(userId), command, ctx);
  }

  async loadUser(userId: UserId): Promise<UserState> {
    return (await this.handler.load(userDecider, streams.user(userId))).state;
  }

  /** The role as it was at `version` (from 1; undefined: that version does not exist). */
  async roleAt(name: string, version: number): Promise<RoleState | undefined> {
    const events = await this.store.readStream(streams.role(name), {
      fromRevision: 0n,
      maxCount: checkedVersion(version),
    });
    if (events.length < version) return undefined;
    return foldRecorded(roleDecider, events.map(upcast)).state;
  }

  async loadRole(name: string): Promise<RoleState> {
    return (await this.handler.load(roleDecider, streams.role(name))).state;
  }

  role(name: string, command: RoleCommand, ctx: Ctx) {
    return this.handler.handle(roleDecider, streams.role(name), command, ctx);
  }

  /** A role command from the API: stamped with now (a new role also gets its id). */
  changeRole(name: string, command: Unstamped<RoleCommand>, ctx: Ctx) {
    const at = this.now().toISOString();
    const stamped = (
      command.type === 'CreateRole' ? { ...command, roleId: this.newId(), at } : { ...command, at }
    ) as RoleCommand;
    return this.role(name, stamped, ctx);
  }

  /** A user command from the API, stamped with now. */
  changeUser(userId: UserId, command: Unstamped<UserCommand>, ctx: Ctx) {
    return this.userCommand(userId, { ...command, at: this.now().toISOString() } as UserCommand, ctx);
  }

  /** Members must be existing users. */
  async addMember(role: string, userId: UserId, ctx: Ctx) {
    const u = await this.loadUser(userId);
    if (u.status !== 'active' && u.status !== 'inactive')
      throw new NotFoundError(`user ${userId} not found`, 'user_id');
    return this.role(role, { type: 'AddMember', userId, at: this.now().toISOString() }, ctx);
  }

  /**
   * Creates the default roles that are missing and adds the permissions they lack (an admin's edits
   * to existing keys survive); forced keys are set every time.
   */
  async syncDefaultRoles(defaults: Readonly<Record<string, DefaultRole>>): Promise<void> {
    const at = this.now().toISOString();
    for (const [name, d] of Object.entries(defaults)) {
      const ctx = { commandId: randomUUID(), actor: 'system' };
      const s = await this.loadRole(name);
      if (s.status === 'absent') {
        await this.role(
          name,
          {
            type: 'CreateRole',
            roleId: randomUUID(),
            name,
            description: d.description,
            emailDomain: null,
            permissions: { ...d.permissions, ...d.forced },
            at,
          },
          ctx,
        ).catch((err) => (err instanceof AlreadyExistsError ? undefined : Promise.reject(err)));
        continue;
      }
      const missing = Object.fromEntries(
        Object.entries(d.permissions).filter(([k]) => !(k in s.permissions)),
      );
      await this.role(
        name,
        { type: 'ChangePermissions', set: { ...missing, ...d.forced }, removed: [], at },
        ctx,
      );
    }
  }

  /** The bootstrap admin key's user exists (with `email`) and is in Admins. */
  async bootstrapAdmin(userId: UserId, email: string): Promise<bigint | undefined> {
    const ctx = { commandId: `bootstrap-admin-${userId}`, actor: 'system' };
    const u = await this.loadUser(userId);
    const id = u.status === 'absent' ? await this.ensureUser(email, ctx, userId) : userId;
    const r = await this.role(
      'Admins',
      { type: 'AddMember', userId: id, at: this.now().toISOString() },
      { ...ctx, commandId: `${ctx.commandId}:admins` },
    );
    return r.position;
  }
}
