import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorReply } from '../../shared/schema/index.js';
import { currentUser, requireRole } from '../access/user-auth.js';
import { assetRoutes } from '../assets/asset-routes.js';
import type { ModuleRouteOptions } from '../cloud-module.js';
import { ENCODINGS } from './decode.js';
import { runImport } from './importer.js';
import { IMPORT_KINDS, ImportReport } from './import-types.js';
import { sendHttpError } from '../http-errors.js';

const ImportParams = Type.Object({ kind: Type.Union(IMPORT_KINDS.map((k) => Type.Literal(k))) });
const ImportQuery = Type.Object(
  {
    dryRun: Type.Boolean({ default: false, description: 'check only: report every problem, write nothing' }),
    encoding: Type.Union(
      ENCODINGS.map((e) => Type.Literal(e)),
      { default: 'auto' },
    ),
    timezone: Type.String({ default: 'UTC', maxLength: 64, description: 'IANA zone for dates without one' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
    restart: Type.Boolean({ default: false }),
    source: Type.Optional(Type.String({ maxLength: 200, description: 'the file name, for the report' })),
  },
  { additionalProperties: false },
);

/** Import files may be large; this is a ceiling, not an expectation. */
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

/** Bulk import (admin) and the asset registry it fills (any user). */
export const importRoutes: FastifyPluginAsync<ModuleRouteOptions<undefined>> = async (app, options) => {
  const { services, authenticateUser } = options;
  await app.register(assetRoutes, { db: services.store.database, authenticateUser });

  await app.register(async (imports) => {
    // The file is read as bytes here, whatever its type: JSON may be GBK, so it is decoded by the
    // importer (encapsulated: the rest of the API keeps fastify's JSON parser).
    imports.removeContentTypeParser(['application/json']);
    imports.addContentTypeParser(
      ['application/json', 'text/csv', 'text/plain', 'application/octet-stream'],
      { parseAs: 'buffer', bodyLimit: IMPORT_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    imports.addHook('onRequest', authenticateUser);
    imports.post<{ Params: Static<typeof ImportParams>; Querystring: Static<typeof ImportQuery> }>(
      '/api/v1/imports/:kind',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        preHandler: requireRole('admin'),
        schema: {
          summary: 'Import assets or historical work orders from a CSV or JSON file (the raw body)',
          description:
            'Checks every row first; with problems nothing is written (422). `dryRun=true` only checks (200). ' +
            'The same file again resumes after its last committed batch.',
          tags: ['import'],
          security: [{ userToken: [] }],
          params: ImportParams,
          querystring: ImportQuery,
          response: {
            200: ImportReport,
            400: ErrorReply,
            401: ErrorReply,
            403: ErrorReply,
            422: ImportReport,
          },
        },
      },
      async (request, reply) => {
        const bytes = request.body;
        if (!Buffer.isBuffer(bytes) || bytes.length === 0) {
          return sendHttpError(
            reply,
            'PW_IMPORT_EMPTY',
            'body: send the file as the raw body (Content-Type text/csv or application/json)',
          );
        }
        const q = request.query;
        const report = await runImport(services.store, services.clock, {
          kind: request.params.kind,
          bytes,
          source: q.source ?? `upload.${request.headers['content-type']?.includes('json') ? 'json' : 'csv'}`,
          dryRun: q.dryRun,
          encoding: q.encoding,
          timeZone: q.timezone,
          batchSize: q.batchSize,
          restart: q.restart,
          actor: currentUser(request).username,
        });
        return reply.code(report.problems.length > 0 ? 422 : 200).send(report);
      },
    );
  });
};
