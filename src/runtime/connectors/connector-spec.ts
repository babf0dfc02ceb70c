/**
 * A connector and its operations as the runtime reads them from the kind's stored spec (the
 * Connector kind's schema filled every default on save), and what one call returns.
 */
export type AuthType = 'bearer' | 'basic' | 'api_key' | 'sinas_token' | 'none';
export type BodyMapping = 'json' | 'query' | 'path_and_json' | 'path_and_query';

export interface ConnectorAuth {
  readonly type: AuthType;
  readonly secret?: string | null;
  readonly header?: string | null;
  readonly position?: 'header' | 'query';
  readonly param_name?: string | null;
}

export interface ConnectorOperation {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly description?: string | null;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly request_body_mapping: BodyMapping;
  readonly response_mapping: 'json' | 'text';
}

export interface ConnectorSpec {
  readonly namespace: string;
  readonly name: string;
  readonly description?: string | null;
  readonly base_url: string;
  readonly auth: ConnectorAuth;
  readonly headers: Readonly<Record<string, string>>;
  readonly retry: { readonly max_attempts: number; readonly backoff: 'exponential' | 'linear' | 'none' };
  readonly timeout_seconds: number;
  readonly operations: readonly ConnectorOperation[];
}

/** What a call answered (reference §5.2). */
export interface ConnectorResult {
  readonly status_code: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly elapsed_ms: number;
}

/** A call, for audit: never a credential, an auth header or an API key's value. */
export interface ConnectorCallDetail {
  readonly method: string;
  /** the URL called, with an API key in the query string redacted */
  readonly url: string;
  readonly status: number | null;
  readonly elapsed_ms: number;
  readonly body_bytes: number;
  readonly attempts: number;
}

/** The spec of a stored connector: the kind's fields and its identity. */
export function connectorSpec(item: {
  readonly namespace: string;
  readonly name: string;
  readonly spec: Readonly<Record<string, unknown>>;
}): ConnectorSpec {
  return { ...(item.spec as unknown as ConnectorSpec), namespace: item.namespace, name: item.name };
}
