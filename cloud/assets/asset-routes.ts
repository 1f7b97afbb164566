import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { ErrorReply } from '../../shared/schema/index.js';
import { visibleSites } from '../access/access-store.js';
import { currentUser } from '../access/user-auth.js';
import type { SqlExecutor } from '../store/sql-database.js';
import { listAssets, RegistryAsset } from './asset-store.js';

const AssetQuery = Type.Object(
  {
    site: Type.Optional(Type.String({ maxLength: 64 })),
    group: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export interface AssetRoutesOptions {
  db: SqlExecutor;
  authenticateUser: onRequestHookHandler;
}

/** The asset registry, read-only: any signed-in user, for the sites they may see. */
export const assetRoutes: FastifyPluginAsync<AssetRoutesOptions> = async (app, { db, authenticateUser }) => {
  app.addHook('onRequest', authenticateUser);
  app.get<{ Querystring: Static<typeof AssetQuery> }>(
    '/api/v1/assets',
    {
      schema: {
        summary: 'Assets in the registry the user may see, by site and group',
        tags: ['assets'],
        security: [{ userToken: [] }],
        querystring: AssetQuery,
        response: { 200: Type.Object({ assets: Type.Array(RegistryAsset) }), 401: ErrorReply },
      },
    },
    async (request) => {
      const sites = visibleSites(currentUser(request));
      const { site, group } = request.query;
      return {
        assets: await listAssets(db, {
          ...(sites ? { sites } : {}),
          ...(site !== undefined ? { site } : {}),
          ...(group !== undefined ? { group } : {}),
        }),
      };
    },
  );
};
