/** The Fastify instance: zod validation, OpenAPI, access control, metrics and error mapping. */
import fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import swagger from '@fastify/swagger';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { formatPath } from '../documents/source.js';
import { InputError } from '../errors.js';
import { findShapeFlaw } from '../json-shape.js';
import type { Logger } from '../logging.js';
import type { Metrics } from '../metrics.js';
import { requireAccessDeclarations } from './access.js';
import { sendError } from './errors.js';

export type HttpApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface HttpOptions {
  /**
   * Installs the hook that authenticates each request and checks the permission its route
   * declares (the access capability's authenticateRequests; platform stands below it).
   */
  authenticate(app: FastifyInstance): void;
  logger: Logger;
  metrics: Metrics;
  bodyLimitBytes: number;
  version: string;
  /** Proxies whose X-Forwarded-* headers are believed (see Config.trustProxy). */
  trustProxy?: boolean | string | undefined;
}

/** Builds the app; capabilities register their routes on it before it listens. */
export async function createHttpApp(options: HttpOptions): Promise<HttpApp> {
  const app = fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Requests are counted in metrics; logging each one would drown the server log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimitBytes,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Baton API',
        version: options.version,
        description: 'Operations as a Service: jobs, executions and their logs.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Schemas with an id (`.meta({ id })`, e.g. the recursive chain of an event) become components.
    transformObject: jsonSchemaTransformObject,
  });
  requireAccessDeclarations(app);
  options.authenticate(app);
  app.addHook('preValidation', async (request) => refuseMisshapenBody(request.body));
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: { code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    }),
  );
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpRequests.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  return app;
}

/**
 * One check of every JSON body before zod or a handler walks it: too deep a nesting would overflow
 * the recursive code behind it (a 500), and a lone surrogate would be stored and later served as
 * JSON that strict parsers reject. Raw bodies (webhooks) are checked where they are parsed.
 */
function refuseMisshapenBody(body: unknown): void {
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body)) return;
  const flaw = findShapeFlaw(body);
  if (!flaw) return;
  const path = formatPath(['body', ...flaw.path]);
  throw new InputError(`invalid request: ${path}: ${flaw.message}`, [
    { path, message: flaw.message, expected: flaw.expected },
  ]);
}
