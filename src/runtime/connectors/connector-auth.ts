/**
 * A connector's credentials for one call (reference §5.2), added after its static headers: bearer,
 * basic (the secret already `user:pass`), an API key in a header or, with `position: "query"`, in
 * the query string under `param_name` (the original accepts it and ignores it), or a freshly minted
 * access token of the chat's user (`sinas_token`). The secret is the user's private one first, then
 * the shared one; a missing secret sends no credential. Values go into the request and nowhere else.
 */
import type { ConnectorAuth } from './connector-spec.js';

export interface AuthPorts {
  /** the secret's value for the user (private first, then shared); undefined: none */
  secret(userId: string, name: string): Promise<string | undefined>;
  /** a fresh access token for the user */
  token(userId: string): Promise<string>;
}

export interface Credentials {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
}

const NONE: Credentials = { headers: {}, query: {} };
export const DEFAULT_API_KEY_HEADER = 'X-Api-Key';
export const DEFAULT_API_KEY_PARAM = 'api_key';

export async function credentials(
  auth: ConnectorAuth,
  userId: string,
  ports: AuthPorts,
): Promise<Credentials> {
  const type = auth.type;
  switch (type) {
    case 'none':
      return NONE;
    case 'sinas_token':
      return { headers: { authorization: `Bearer ${await ports.token(userId)}` }, query: {} };
    case 'bearer':
    case 'basic':
    case 'api_key': {
      const value = auth.secret ? await ports.secret(userId, auth.secret) : undefined;
      return value === undefined ? NONE : fromSecret(type, auth, value);
    }
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

function fromSecret(type: 'bearer' | 'basic' | 'api_key', auth: ConnectorAuth, value: string): Credentials {
  switch (type) {
    case 'bearer':
      return { headers: { authorization: `Bearer ${value}` }, query: {} };
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(value).toString('base64')}` }, query: {} };
    case 'api_key':
      return auth.position === 'query'
        ? { headers: {}, query: { [auth.param_name || DEFAULT_API_KEY_PARAM]: value } }
        : { headers: { [auth.header || DEFAULT_API_KEY_HEADER]: value }, query: {} };
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

/** the query parameter an API key travels in, to redact from what is recorded */
export function secretQueryParam(auth: ConnectorAuth): string | undefined {
  return auth.type === 'api_key' && auth.position === 'query'
    ? auth.param_name || DEFAULT_API_KEY_PARAM
    : undefined;
}
