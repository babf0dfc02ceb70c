/**
 * Route access declarations: a route that says nothing, or that lets anyone signed in call it
 * without naming what a narrowed API key must grant, stops the process at start; and what "grants
 * on some item" means for such a key.
 */
import { expect } from 'chai';
import express from 'express';
import { grantsOnSome } from '../../src/commands/identity/permissions.js';
import { RouteRegistry, type RouteSpec } from '../../src/http/routes.js';

const route = (access: unknown): RouteSpec =>
  ({
    method: 'get',
    path: '/x',
    summary: 'x',
    responses: { 200: undefined },
    handler: () => {},
    ...(access === undefined ? {} : { access }),
  }) as RouteSpec;

const mount = (spec: RouteSpec) => {
  const registry = new RouteRegistry();
  registry.add(spec);
  registry.mount(express.Router(), (_req, _res, next) => next());
};

describe('route access declarations', () => {
  it('stops at start naming a route that declares no access, or a signed-in one naming no permission', () => {
    expect(() => mount(route(undefined))).to.throw('GET /x declares no access');
    expect(() => mount(route('authenticated'))).to.throw('GET /x declares no access');
    expect(() => mount(route({ signedIn: [] }))).to.throw('signedIn names no permission');
    expect(() => mount(route({ signedIn: ['sinas.chats'] }))).to.throw('GET /x signedIn');
  });

  it('mounts public routes, permission routes, signed-in routes with their permissions or any credential', () => {
    for (const access of [
      { permission: () => 'sinas.users.read:all' },
      { signedIn: ['sinas.agents.chat:own'] },
      { signedIn: 'any credential' },
    ])
      expect(() => mount(route(access))).not.to.throw();
    expect(() => mount({ ...route(undefined), public: true })).not.to.throw();
  });
});

describe('permissions: grantsOnSome (what a narrowed key needs on a signed-in route)', () => {
  const cases: [Record<string, boolean>, string, boolean][] = [
    [{ 'sinas.agents/support/bot.chat:all': true }, 'sinas.agents.chat:own', true],
    [{ 'sinas.agents/*/*.chat:all': true }, 'sinas.agents.chat:own', true],
    [{ 'sinas.agents/support/bot.chat:own': true }, 'sinas.agents.chat:all', false],
    [{ 'sinas.agents/support/bot.read:all': true }, 'sinas.agents.chat:own', false],
    [{ 'sinas.agents/support/bot.chat:all': false }, 'sinas.agents.chat:own', false],
    [{ 'sinas.executions.read:own': true }, 'sinas.executions.read:own', true],
    [{ 'sinas.executions.read:all': true }, 'sinas.executions.read:own', true],
    [{ 'sinas.secrets.read:own': true }, 'sinas.executions.read:own', false],
    [{ 'sinas.secrets.read:own': true }, 'sinas.agents.chat:own', false],
    [{ 'sinas.*:all': true }, 'sinas.agents.chat:own', true],
    [{ 'sinas.functions/*/*.*:own': true }, 'sinas.functions.read:own', true],
  ];
  for (const [map, required, expected] of cases)
    it(`${JSON.stringify(map)} ${expected ? 'grants' : 'does not grant'} ${required} on some item`, () =>
      expect(grantsOnSome(map, required)).to.equal(expected));
});
