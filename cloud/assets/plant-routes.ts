import type { FastifyPluginAsync } from 'fastify';
import { ErrorReply } from '../../shared/schema/index.js';
import { visibleSites } from '../access/access-store.js';
import { currentUser } from '../access/user-auth.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import { sendHttpError } from '../http-errors.js';
import { STALE_AFTER_HOURS } from './asset-health.js';
import { groupPlant } from './plant-hierarchy.js';
import { plantHealth } from './plant-health.js';
import { AssetHealthParams, AssetHealthReply, PlantQuery, PlantReply } from './plant-types.js';

/** The plant overview and one asset's health: any signed-in user, only the sites they may see. */
export const plantRoutes: FastifyPluginAsync<ModuleRouteOptions<undefined>> = async (
  app,
  { services, authenticateUser },
) => {
  const db = services.store.database;
  app.addHook('onRequest', authenticateUser);

  app.get<{ Querystring: PlantQuery }>(
    '/api/v1/plant',
    {
      schema: {
        summary: 'Sites → areas → assets with their health now, latest values and open tickets',
        description:
          'Assets from the registry, and those only heard of through tickets or telemetry (area "unassigned"). ' +
          '`counts` are per health state before the `health` filter.',
        tags: ['assets'],
        security: [{ userToken: [] }],
        querystring: PlantQuery,
        response: { 200: PlantReply, 400: ErrorReply, 401: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const user = visibleSites(currentUser(request));
      const { site, health } = request.query;
      const sites = site === undefined ? user : (user ?? [site]).filter((s) => s === site);
      const nowMs = services.clock.now();
      try {
        const assets = await plantHealth(db, services.telemetry, sites ? { sites } : {}, nowMs);
        return {
          generatedAt: new Date(nowMs).toISOString(),
          staleAfterHours: STALE_AFTER_HOURS,
          ...groupPlant(assets, health),
        } satisfies PlantReply;
      } catch (error) {
        request.log.error({ err: (error as Error).message }, 'plant overview failed');
        return sendHttpError(
          reply,
          'PW_TELEMETRY_UNAVAILABLE',
          `the plant overview could not be read: ${(error as Error).message}`,
        );
      }
    },
  );

  app.get<{ Params: AssetHealthParams }>(
    '/api/v1/assets/:assetId/health',
    {
      schema: {
        summary: "One asset's health now: state and why, latest values, open tickets",
        tags: ['assets'],
        security: [{ userToken: [] }],
        params: AssetHealthParams,
        response: {
          200: AssetHealthReply,
          400: ErrorReply,
          401: ErrorReply,
          404: ErrorReply,
          503: ErrorReply,
        },
      },
    },
    async (request, reply) => {
      const sites = visibleSites(currentUser(request));
      const { assetId } = request.params;
      const nowMs = services.clock.now();
      let asset;
      try {
        [asset] = await plantHealth(
          db,
          services.telemetry,
          { ...(sites ? { sites } : {}), assetIds: [assetId] },
          nowMs,
        );
      } catch (error) {
        request.log.error({ assetId, err: (error as Error).message }, 'asset health failed');
        return sendHttpError(
          reply,
          'PW_TELEMETRY_UNAVAILABLE',
          `the health of ${assetId} could not be read: ${(error as Error).message}`,
        );
      }
      if (!asset) {
        return sendHttpError(
          reply,
          'PW_NO_ASSET',
          `no asset named ${assetId}: neither the registry, the tickets nor the telemetry of the sites you may see know it; ` +
            'check the id (GET /api/v1/plant lists them)',
        );
      }
      return {
        generatedAt: new Date(nowMs).toISOString(),
        staleAfterHours: STALE_AFTER_HOURS,
        asset,
      } satisfies AssetHealthReply;
    },
  );
};
