/** The OpenAPI 3.1 document, generated from the route registry's schemas. */
import type { RouteRegistry } from './routes.js';

export const toOpenApiPath = (path: string) => path.replace(/[:*]([A-Za-z_]+)/g, '{$1}');

export function openApiDocument(registry: RouteRegistry, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of registry.routes) {
    const p = (paths[toOpenApiPath(r.path)] ??= {});
    p[r.method] = {
      summary: r.summary,
      ...(r.tags ? { tags: r.tags } : {}),
      ...(r.public ? { security: [] } : {}),
      parameters: [
        ...Object.entries(r.params ?? {}).map(([name, schema]) => ({
          name,
          in: 'path',
          required: true,
          schema,
        })),
        ...Object.entries(r.query ?? {}).map(([name, schema]) => ({
          name,
          in: 'query',
          required: false,
          schema,
        })),
      ],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': { schema: r.body },
                ...Object.fromEntries((r.accepts ?? []).map((t) => [t, { schema: { type: 'string' } }])),
              },
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, schema]) => {
          const media = status.startsWith('2') && r.produces ? r.produces : 'application/json';
          return [
            status,
            { description: `HTTP ${status}`, ...(schema ? { content: { [media]: { schema } } } : {}) },
          ];
        }),
      ),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Sinas (TypeScript)', version },
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
  };
}
