/**
 * The login routes (reference §1.1), all public: `/auth/login` sends a one-time code by email,
 * `/auth/verify-otp` exchanges it for an access and a refresh token, `/auth/refresh` rotates the
 * refresh token, `/auth/logout` revokes it. The flow itself is src/runtime/auth/login-service.ts.
 */
import type { Request } from 'express';
import { validate, type JSONSchema } from '../commands/validation.js';
import { NotFoundError } from '../errors.js';
import type { UserRow } from '../projections/identity-queries.js';
import type { LoginService } from '../runtime/auth/login-service.js';
import type { RouteRegistry } from './routes.js';

const tags = ['Auth'];
const body = (properties: Record<string, JSONSchema>): JSONSchema => ({
  type: 'object',
  required: Object.keys(properties),
  additionalProperties: false,
  properties,
});
const loginBody = body({ email: { type: 'string', minLength: 3, maxLength: 320 } });
const verifyBody = body({
  session_id: { type: 'string', format: 'uuid' },
  otp_code: { type: 'string', pattern: '^[0-9]{6}$', maxLength: 6 },
});
const refreshBody = body({ refresh_token: { type: 'string', minLength: 1, maxLength: 200 } });
const tokensSchema = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    refresh_token: { type: 'string' },
    token_type: { const: 'bearer' },
    expires_in: { type: 'integer' },
  },
};
const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const userResponse = (u: UserRow) => ({
  id: u.id,
  email: u.email,
  last_login_at: iso(u.last_login_at),
  created_at: iso(u.created_at),
  roles: u.roles,
});
/** the caller's address as the socket reports it (behind a proxy: the proxy's) */
const ipOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

export function registerLoginRoutes(registry: RouteRegistry, login: LoginService): void {
  registry.add({
    method: 'post',
    path: '/auth/login',
    public: true,
    summary: 'Send a one-time login code to an existing user’s email',
    tags,
    body: loginBody,
    responses: {
      200: { type: 'object', properties: { message: { type: 'string' }, session_id: { type: 'string' } } },
      403: undefined,
      429: undefined,
      503: undefined,
    },
    handler: async (req, res) => {
      const b = validate<{ email: string }>(loginBody, req.body ?? {});
      const { sessionId } = await login.requestCode(b.email, ipOf(req));
      res.json({ message: 'OTP sent to your email', session_id: sessionId });
    },
  });

  registry.add({
    method: 'post',
    path: '/auth/verify-otp',
    public: true,
    summary: 'Exchange the one-time code for an access token (15 minutes) and a refresh token (30 days)',
    tags,
    body: verifyBody,
    responses: {
      200: { ...tokensSchema, properties: { ...tokensSchema.properties, user: { type: 'object' } } },
      400: undefined,
      429: undefined,
    },
    handler: async (req, res) => {
      const b = validate<{ session_id: string; otp_code: string }>(verifyBody, req.body ?? {});
      const { user, ...tokens } = await login.verify(b.session_id, b.otp_code, ipOf(req));
      res.json({ ...tokens, user: userResponse(user) });
    },
  });

  registry.add({
    method: 'post',
    path: '/auth/refresh',
    public: true,
    summary: 'Rotate a refresh token: it is consumed, and a new one comes with a new access token',
    tags,
    body: refreshBody,
    responses: { 200: tokensSchema, 401: undefined },
    handler: async (req, res) => {
      const b = validate<{ refresh_token: string }>(refreshBody, req.body ?? {});
      res.json(await login.refresh(b.refresh_token, ipOf(req)));
    },
  });

  registry.add({
    method: 'post',
    path: '/auth/logout',
    public: true,
    summary: 'Revoke a refresh token and every other token of its login',
    tags,
    body: refreshBody,
    responses: { 204: undefined, 404: undefined },
    handler: async (req, res) => {
      const b = validate<{ refresh_token: string }>(refreshBody, req.body ?? {});
      if (!(await login.logout(b.refresh_token))) throw new NotFoundError('refresh token not found');
      res.status(204).end();
    },
  });
}
