import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
  onRequestAsyncHookHandler,
} from 'fastify';
import type { Counter } from 'prom-client';
import { ErrorReply } from '../../shared/schema/ingest.js';
import {
  DEFAULT_TREND_POINTS,
  TELEMETRY_FIELD_HINT,
  TELEMETRY_FIELD_PATTERN,
  TelemetryReply,
  TelemetryRequest,
  TrendParams,
  TrendQuery,
  TrendReply,
} from '../../shared/schema/telemetry.js';
import { requireOwnGateway, siteRefusal } from '../access/gateway-auth.js';
import { type TelemetrySink, trendBucketMs } from './telemetry-sink.js';
import { sendHttpError } from '../http-errors.js';

export interface TelemetryRoutesOptions {
  sink: TelemetrySink;
  /** Sets request.gatewayId from the gateway's token, or answers 401. */
  authenticateGateway: onRequestAsyncHookHandler;
  /** Lets an engineer (or their API token) through, or answers 401. */
  authenticateUser: onRequestAsyncHookHandler;
  /** The sites this request may read; undefined = all. */
  visibleSites: (request: FastifyRequest) => readonly string[] | undefined;
  metrics?: { pointsWritten: Counter; rejects?: Counter<'reason'> };
  /** The registry's site of each asset it holds (cloud/assets); omitted: no registry to check. */
  registeredSites?: (assetIds: readonly string[]) => Promise<Map<string, string>>;
}

const DAY_MS = 86_400_000;
const DEFAULT_TREND_RANGE_MS = 7 * DAY_MS;
/** Ten years: the life of a machine's bearings, and well within what the bucket arithmetic handles. */
const MAX_TREND_RANGE_MS = 3653 * DAY_MS;

const unavailable = (reply: FastifyReply, error: unknown) =>
  sendHttpError(reply, 'PW_TELEMETRY_UNAVAILABLE', `the telemetry store failed: ${(error as Error).message}`);

/**
 * Schema errors that name the offending field *name* (a bad key in `fields`) and say what a
 * telemetry field name looks like; everything else in fastify's usual `body/points/0/ts must be …`.
 */
function telemetrySchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const lines = errors.map((error) => {
    const where = `${dataVar}${error.instancePath}`;
    const propertyName =
      (error as { propertyName?: string }).propertyName ?? (error.params.propertyName as string | undefined);
    if (propertyName !== undefined) {
      return `${where}: field name ${JSON.stringify(propertyName)} is not allowed; use ${TELEMETRY_FIELD_HINT}`;
    }
    if (error.keyword === 'pattern' && error.params.pattern === TELEMETRY_FIELD_PATTERN) {
      return `${where} must be a telemetry field name: ${TELEMETRY_FIELD_HINT}`;
    }
    if (
      (error.keyword === 'maximum' || error.keyword === 'minimum') &&
      Math.abs(Number(error.params.limit)) === Number.MAX_VALUE
    ) {
      return `${where} must be a finite number`;
    }
    return `${where} ${error.message ?? 'is invalid'}`;
  });
  return new Error([...new Set(lines)].join(', '));
}

async function telemetryRefusal(
  request: FastifyRequest,
  points: TelemetryRequest['points'],
  registeredSites: TelemetryRoutesOptions['registeredSites'],
): Promise<{ reason: 'site_not_allowed' | 'asset_not_allowed'; field: string; why: string } | undefined> {
  for (const [index, point] of points.entries()) {
    const why = siteRefusal(request, point.site);
    if (why) return { reason: 'site_not_allowed', field: `body/points/${index}/site`, why };
  }
  const registered = registeredSites ? await registeredSites(points.map((p) => p.assetId)) : new Map();
  for (const [index, point] of points.entries()) {
    const site = registered.get(point.assetId);
    const why = site === undefined ? undefined : siteRefusal(request, site);
    if (why) {
      return {
        reason: 'asset_not_allowed',
        field: `body/points/${index}/assetId`,
        why: `asset ${point.assetId} is registered at site ${site}; ${why}`,
      };
    }
  }
  return undefined;
}

/**
 * Telemetry in (gateways' feature summaries) and trends out (engineers' charts). The sink and the
 * authentication come in through the options: this plugin holds no store of its own.
 */
export const telemetryRoutes: FastifyPluginAsync<TelemetryRoutesOptions> = async (app, options) => {
  const { sink, metrics } = options;

  app.post<{ Body: TelemetryRequest }>(
    '/api/v1/telemetry',
    {
      onRequest: options.authenticateGateway,
      preHandler: requireOwnGateway,
      schemaErrorFormatter: telemetrySchemaErrors,
      schema: {
        summary: "Store a gateway's feature summaries (idempotent: a replayed point replaces itself)",
        tags: ['telemetry'],
        security: [{ gatewayToken: [] }],
        body: TelemetryRequest,
        response: { 200: TelemetryReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const { gatewayId, points } = request.body;
      // A leaked token writes only its own sites, also for an asset registered at another site
      // whatever site the point claims; nothing of a refused batch is stored.
      const refusal = await telemetryRefusal(request, points, options.registeredSites);
      if (refusal) {
        metrics?.rejects?.inc({ reason: refusal.reason });
        request.log.warn({ gatewayId, field: refusal.field }, 'telemetry batch refused');
        return sendHttpError(reply, 'PW_SITE_NOT_ALLOWED', `${refusal.field}: ${refusal.why}`);
      }
      try {
        await sink.write(gatewayId, points);
      } catch (error) {
        request.log.error(
          { gatewayId, points: points.length, err: (error as Error).message },
          'telemetry write failed',
        );
        return unavailable(reply, error);
      }
      metrics?.pointsWritten.inc(points.length);
      request.log.debug({ gatewayId, points: points.length, sink: sink.kind }, 'telemetry batch');
      return { accepted: points.length };
    },
  );

  app.get<{ Params: TrendParams; Querystring: TrendQuery }>(
    '/api/v1/assets/:assetId/trend',
    {
      onRequest: options.authenticateUser,
      schemaErrorFormatter: telemetrySchemaErrors,
      schema: {
        summary: "An asset's metric over time, averaged into at most maxPoints equal buckets",
        tags: ['telemetry'],
        params: TrendParams,
        querystring: TrendQuery,
        response: { 200: TrendReply, 400: ErrorReply, 401: ErrorReply, 503: ErrorReply },
      },
    },
    async (request, reply) => {
      const { assetId } = request.params;
      const { metric, channel, from, to } = request.query;
      const toMs = to === undefined ? Date.now() : Date.parse(to);
      const fromMs = from === undefined ? toMs - DEFAULT_TREND_RANGE_MS : Date.parse(from);
      if (Number.isNaN(toMs) || Number.isNaN(fromMs)) {
        return sendHttpError(
          reply,
          'PW_BAD_RANGE',
          `querystring/from and /to must be ISO date-times (got from=${from}, to=${to})`,
        );
      }
      if (fromMs >= toMs) {
        return sendHttpError(
          reply,
          'PW_BAD_RANGE',
          `querystring/from (${new Date(fromMs).toISOString()}) must be before to (${new Date(toMs).toISOString()})` +
            (to === undefined ? ', which defaults to now' : ''),
        );
      }
      if (fromMs < 0) {
        return sendHttpError(
          reply,
          'PW_BAD_RANGE',
          'querystring/from must not be before 1970-01-01T00:00:00Z',
        );
      }
      if (toMs - fromMs > MAX_TREND_RANGE_MS) {
        return sendHttpError(
          reply,
          'PW_BAD_RANGE',
          `the range from ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()} spans more than ` +
            `${MAX_TREND_RANGE_MS / DAY_MS} days; ask for a shorter one`,
        );
      }
      const maxPoints = request.query.maxPoints ?? DEFAULT_TREND_POINTS;
      const sites = options.visibleSites(request);
      const trend = {
        assetId,
        metric,
        ...(channel === undefined ? {} : { channel }),
        fromMs,
        toMs,
        maxPoints,
      };
      try {
        const points = await sink.trend(sites === undefined ? trend : { ...trend, sites });
        return {
          assetId,
          metric,
          ...(channel === undefined ? {} : { channel }),
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          bucketMs: trendBucketMs(trend),
          points,
          source: sink.kind,
        } satisfies TrendReply;
      } catch (error) {
        request.log.error({ assetId, metric, err: (error as Error).message }, 'trend query failed');
        return unavailable(reply, error);
      }
    },
  );
};
