import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI generated from the routes' own schemas (the shared TypeBox definitions), served at /docs
 * with Swagger UI from the npm package itself: plants are often offline, so no CDN.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: { title: 'Plantwatch cloud API', version: '1' },
      components: {
        securitySchemes: {
          gatewayToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'per-gateway token from `plantwatch cloud tokens create <gatewayId> --site <site>`, bound to the sites it may write',
          },
          userToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'a session token from POST /api/v1/login, or an API token from `plantwatch cloud users token <username>`',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
