/**
 * The connector runtime built on the platform's services: the client (guard, the chat user's
 * secrets, tokens minted for them) and the tool family on the Connector kind's service. One place
 * builds both, so the test route and the turns call connectors exactly alike.
 */
import type { Logger } from 'pino';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { IdentityQueries } from '../../projections/identity-queries.js';
import type { AccessTokens } from '../auth/access-tokens.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';
import type { SecretVault } from '../secrets/secret-vault.js';
import { ConnectorClient } from './connector-client.js';
import { connectorFamily, connectorLookup } from './connector-family.js';

/** a `sinas_token` lives this long (a call's time limit is at most 300 s) */
const TOKEN_TTL_S = 900;

export interface ConnectorRuntimePorts {
  readonly outboundGuard: OutboundGuard;
  readonly secretVault: SecretVault;
  readonly accessTokens: AccessTokens;
  readonly queries: { readonly identity: IdentityQueries };
  readonly kinds: Readonly<Record<string, ResourceService>>;
}

export function connectorClient(
  s: ConnectorRuntimePorts,
  options: { maxResponseBytes?: number; backoffUnitMs?: number } = {},
): ConnectorClient {
  return new ConnectorClient({
    guard: s.outboundGuard,
    auth: {
      secret: (userId, name) => s.secretVault.value(userId, name),
      token: async (userId) => {
        const email = (await s.queries.identity.user(userId))?.email ?? null;
        return s.accessTokens.issue({ id: userId, email }, { typ: 'function', ttlS: TOKEN_TTL_S });
      },
    },
    ...options,
  });
}

/** The `connector` ToolFamily of a platform's services (src/runtime/services.ts hands it to the turns). */
export function connectorToolFamily(
  s: ConnectorRuntimePorts,
  options: { maxResponseBytes?: number; backoffUnitMs?: number } = {},
  log?: Logger,
) {
  const service = s.kinds.connectors;
  if (!service) throw new Error("no kind registered as 'connectors' (src/runtime/kinds.ts)");
  return connectorFamily(
    connectorLookup((ns, name) => service.current(ns, name)),
    connectorClient(s, options),
    log,
  );
}
