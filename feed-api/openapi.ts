import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';

export { OpenAPIRegistry };

/** The OpenAPI document, built from the same zod schemas the routes validate with. */
export function openApiDocument(registry: OpenAPIRegistry): unknown {
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Feed engine API', version: '1', description: 'Personalized short-video feed with shoppable items' },
    security: [{ apiKey: [] }],
  });
}
