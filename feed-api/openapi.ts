import { OpenAPIHono } from '@hono/zod-openapi';
import type { ValidationTargets } from 'hono';
import { z } from 'zod';
import type { AppEnv } from './env.ts';
import { ErrorSchema, invalidRequest } from './errors.ts';

/** How a field's place is named in a 400: `query.count`, `path.id`, `body.events`. */
const WHERE: Partial<Record<keyof ValidationTargets, string>> = { query: 'query', param: 'path', json: 'body' };

/** An app whose routes declare their request and response schemas once, for validation and for the document. */
export function openApiApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error, WHERE[result.target] ?? result.target);
    },
  });
}

/** The OpenAPI document of every route declared on `app`. */
export function openApiDocument(app: OpenAPIHono<AppEnv>): unknown {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key' });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Feed engine API', version: '1', description: 'Personalized short-video feed with shoppable items' },
    security: [{ apiKey: [] }],
  });
}

interface JsonContent<S extends z.ZodType> {
  description: string;
  content: { 'application/json': { schema: S } };
}

/** A JSON response of `schema`. */
export function jsonContent<S extends z.ZodType>(description: string, schema: S): JsonContent<S> {
  return { description, content: { 'application/json': { schema } } };
}

/** Error responses by status, all with the one error body. */
export function errorResponses<C extends number>(described: Record<C, string>): Record<C, JsonContent<typeof ErrorSchema>> {
  const entries = Object.entries<string>(described).map(([status, description]) => [status, jsonContent(description, ErrorSchema)]);
  return Object.fromEntries(entries) as Record<C, JsonContent<typeof ErrorSchema>>;
}

/** A reference to `schema`, registered as component `name`. */
function component(app: OpenAPIHono<AppEnv>, name: string, schema: z.ZodType): { $ref: string } {
  // register() calls schema.openapi(), which zod copies onto a schema when it is made: a schema
  // made before @hono/zod-openapi extended zod lacks it, a clone made now has it.
  app.openAPIRegistry.register(name, schema.clone());
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * A batch the route validates row by row (one bad row is rejected, the others accepted), so the
 * schema checks only that it is a non-empty array; the document names the row schema and the
 * size limit the route answers 413 beyond.
 */
export function batchSchema(app: OpenAPIHono<AppEnv>, name: string, row: z.ZodType, max: number, what: string) {
  return z
    .array(z.unknown())
    .min(1, `must contain at least one ${what}`)
    .openapi({ items: component(app, name, row), maxItems: max });
}

/** A body the handler's own module validates (its messages are part of the API), documented as `schema`. */
export function documentedOnly(app: OpenAPIHono<AppEnv>, name: string, schema: z.ZodType) {
  return z.unknown().openapi({ allOf: [component(app, name, schema)] });
}
