import type { RouteOptions } from 'fastify';

/** The parts of a registered route the document is made from (collected by the plugin's onRoute hook). */
export type DocumentedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema'>;

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema>; required?: string[]; description?: string; [k: string]: unknown };

interface RouteSchema {
  operationId?: string;
  summary?: string;
  tags?: string[];
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  response?: Record<string, JsonSchema>;
  security?: unknown[];
}

const JSON_TYPE = 'application/json';

/**
 * The OpenAPI 3.1 document of the management API, built from the route schemas themselves: TypeBox
 * schemas are JSON Schema 2020-12, OpenAPI 3.1's own dialect, so they go in unchanged and the
 * document cannot drift from what the routes validate.
 */
export function openApiDocument(routes: readonly DocumentedRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const schema = route.schema as RouteSchema | undefined;
    if (!schema?.operationId) continue;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      paths[path] ??= {};
      paths[path][method.toLowerCase()] = operation(schema);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Wharf management API',
      version: '1.0.0',
      description: 'Access management shaped like az acr: the registry, users, service principals, role assignments, scope maps and scoped tokens.',
    },
    paths,
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'userPrincipalName + password, or service principal appId + secret' },
        bearer: { type: 'http', scheme: 'bearer', description: 'a refresh token from POST /oauth2/token (what wharf login keeps), or an access token' },
      },
    },
    security: [{ basic: [] }, { bearer: [] }],
  };
}

function operation(schema: RouteSchema): Record<string, unknown> {
  const parameters = [...parametersOf(schema.params, 'path'), ...parametersOf(schema.querystring, 'query')];
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(schema.response ?? {})) {
    const description = body.description ?? 'success';
    responses[status] = status === '204' ? { description } : { description, content: { [JSON_TYPE]: { schema: plain(body) } } };
  }
  return {
    operationId: schema.operationId,
    ...(schema.summary === undefined ? {} : { summary: schema.summary }),
    ...(schema.tags === undefined ? {} : { tags: schema.tags }),
    ...(schema.security === undefined ? {} : { security: schema.security }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(schema.body === undefined ? {} : {
      requestBody: { required: (schema.body.required?.length ?? 0) > 0, content: { [JSON_TYPE]: { schema: plain(schema.body) } } },
    }),
    responses,
  };
}

function parametersOf(schema: JsonSchema | undefined, where: 'path' | 'query'): unknown[] {
  return Object.entries(schema?.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (schema?.required ?? []).includes(name),
    ...(property.description === undefined ? {} : { description: property.description }),
    schema: plain(property),
  }));
}

/** The schema as plain JSON (TypeBox may keep non-enumerable or symbol keys). */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema));
}
