/**
 * The one place where errors become HTTP responses. Every error body has the same shape:
 * `{ "error": { "code", "message", "problems"?: [{ path, message, expected, found, file, line, column }] } }`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ErrorBody } from '../../contract/errors.js';
import { BatonError, InputError, TooManyRequestsError, type Problem } from '../errors.js';

function validationProblems(error: FastifyError & { validationContext?: string }): Problem[] {
  if (!hasZodFastifySchemaValidationErrors(error)) return [];
  return error.validation.map((issue) => {
    const segments = issue.instancePath.split('/').filter(Boolean);
    const path = segments.reduce(
      (text, segment) => (/^\d+$/.test(segment) ? `${text}[${segment}]` : `${text}.${segment}`),
      error.validationContext ?? 'body',
    );
    const params = issue.params as { expected?: string; values?: unknown[] };
    const expected = params.values
      ? `one of ${params.values.map((value) => JSON.stringify(value)).join(', ')}`
      : params.expected;
    const message = issue.message ?? 'invalid';
    // zod's message often says what was expected already; repeating it helps nobody.
    return { path, message, ...(expected && !/expected/i.test(message) ? { expected } : {}) };
  });
}

/** Maps any thrown value to a status and a JSON body; unknown errors are 500 and logged. */
export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof BatonError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error instanceof InputError && error.problems.length > 0) body.error.problems = error.problems;
    if (error instanceof TooManyRequestsError) reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.status(error.status).send(body);
  }
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    const problems = validationProblems(fastifyError);
    const message = `invalid request: ${problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`;
    return reply
      .status(400)
      .send({ error: { code: 'invalid_input', message, problems } } satisfies ErrorBody);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code =
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : status === 404
            ? 'not_found'
            : 'bad_request';
    return reply.status(status).send({ error: { code, message: fastifyError.message } } satisfies ErrorBody);
  }
  request.log.error({ err: error }, 'request failed');
  return reply
    .status(500)
    .send({ error: { code: 'internal', message: 'internal error; see the server log' } } satisfies ErrorBody);
}
