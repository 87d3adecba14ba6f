/**
 * Events over HTTP. `POST /api/v1/hooks/PROJECT/NAME` is the one route authenticated by a key
 * of its own (the hook's HMAC secret or token), not by Baton sessions or tokens: it reads the
 * body as raw bytes (the signature covers them exactly), refuses bodies over the hook's limit,
 * and stores nothing unless the key checks out. The rest reads events, rules and hooks.
 */
import { z } from 'zod';
import type { Baton } from '../../app.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { InputError, UnauthenticatedError } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import { EXECUTION_STATES } from '../executions/model.js';
import {
  HOOK_FORMATS,
  MAX_HOOK_MAX_BYTES,
  RULE_OUTCOMES,
  type ChainNode,
  type Event,
  type Hook,
  type RuleMatch,
} from './model.js';
import { HOOK_REFUSAL, type EventService } from './service.js';
import { eventSummary } from '../../contract/event-summary.js';
import { idParams } from '../../platform/http/params.js';

/** Fastify maps an error with this status to 413 `payload_too_large`. */
class PayloadTooLargeError extends Error {
  readonly statusCode = 413;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The hook a hook request names, once found. */
    hook?: Hook;
  }
}

const iso = (date: Date) => date.toISOString();

const matchView = z.object({
  rule: z.string(),
  outcome: z.enum(RULE_OUTCOMES),
  executionId: z.number().nullable(),
  reason: z.string().nullable(),
  triggerExecutionId: z.number().nullable().describe('the finished execution a chained rule matched'),
  at: z.string(),
});

const eventView = z.object({
  id: z.number(),
  project: z.string(),
  hook: z.string().nullable(),
  format: z.string(),
  receivedAt: z.string(),
  fingerprint: z.string(),
  summary: z
    .string()
    .describe("what the event is about in one line: an alert's status and telling labels, or the first keys"),
  payloadBytes: z.number(),
  matches: z.array(matchView),
});

type ChainView = {
  rule: string;
  outcome: (typeof RULE_OUTCOMES)[number];
  reason: string | null;
  at: string;
  execution: { id: number; job: string; state: string; exitCode: number | null; output: unknown } | null;
  next: ChainView[];
};
const chainView: z.ZodType<ChainView> = z.lazy(() =>
  z.object({
    rule: z.string(),
    outcome: z.enum(RULE_OUTCOMES),
    reason: z.string().nullable(),
    at: z.string(),
    execution: z
      .object({
        id: z.number(),
        job: z.string(),
        state: z.union([z.enum(EXECUTION_STATES), z.literal('deleted')]),
        exitCode: z.number().nullable(),
        output: z.unknown(),
      })
      .nullable(),
    next: z.array(chainView),
  }),
);

function viewMatch(match: RuleMatch): z.infer<typeof matchView> {
  return {
    rule: match.rule,
    outcome: match.outcome,
    executionId: match.executionId,
    reason: match.reason,
    triggerExecutionId: match.triggerExecutionId,
    at: iso(match.at),
  };
}

function viewEvent(event: Event & { matches: RuleMatch[] }): z.infer<typeof eventView> {
  return {
    id: event.id,
    project: event.project,
    hook: event.hook,
    format: event.format,
    receivedAt: iso(event.receivedAt),
    fingerprint: event.fingerprint,
    summary: eventSummary(event.format, event.payload),
    payloadBytes: event.payloadBytes,
    matches: event.matches.map(viewMatch),
  };
}

function viewChain(node: ChainNode): ChainView {
  return { ...node, at: iso(node.at), next: node.next.map(viewChain) };
}

const receiptView = z.object({
  events: z.array(
    z.object({
      id: z.number(),
      fingerprint: z.string(),
      rules: z.array(
        z.object({
          rule: z.string(),
          outcome: z.enum(RULE_OUTCOMES),
          executionId: z.number().nullable(),
          reason: z.string().nullable(),
        }),
      ),
    }),
  ),
});

function registerHookRoute(app: HttpApp, service: EventService, metrics: Metrics): void {
  // Its own scope: here (only) a body is raw bytes, whatever its content type.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: MAX_HOOK_MAX_BYTES },
      (_request, body, done) => done(null, body),
    );
    scope.post(
      '/api/v1/hooks/:project/:name',
      {
        bodyLimit: MAX_HOOK_MAX_BYTES,
        config: { access: 'hook-key' },
        schema: {
          description:
            "Receives a webhook (Alertmanager or generic JSON) as events and fires the hook's rules. Authenticated by the hook's own key: `Authorization: Bearer <token>`, or `X-Baton-Timestamp` and `X-Baton-Signature: sha256=HMAC(key, timestamp.body)`.",
          params: z.object({ project: z.string(), name: z.string() }),
          response: { 202: receiptView },
        },
        // Before the body is read. A caller who has not proved the hook's key must not learn
        // whether the hook exists, so every unauthenticated answer is the same whatever the hook:
        // a declared length over the largest body any hook takes is 413 for every name, and
        // otherwise the body is read (up to that size) and refused with one 401. Only a caller
        // whose token is right hears the hook's own, smaller limit before a byte is read.
        preParsing: async (request, _reply, payload) => {
          const declared = Number(request.headers['content-length']);
          if (Number.isFinite(declared) && declared > MAX_HOOK_MAX_BYTES) {
            metrics.eventsReceived.inc({ outcome: 'too_large' });
            throw new PayloadTooLargeError(
              `the body is ${declared} bytes; a hook takes at most ${MAX_HOOK_MAX_BYTES}`,
            );
          }
          const { project, name } = request.params as { project: string; name: string };
          const hook = await service.findHook(project, name);
          if (hook?.auth === 'token') {
            const authentic = await service
              .authenticate(hook, { headers: request.headers, body: Buffer.alloc(0) })
              .then(
                () => true,
                () => false,
              );
            if (authentic) {
              request.hook = hook;
              if (Number.isFinite(declared) && declared > hook.maxBytes) {
                metrics.eventsReceived.inc({ outcome: 'too_large' });
                throw new PayloadTooLargeError(
                  `the body is ${declared} bytes; this hook takes at most ${hook.maxBytes}`,
                );
              }
            }
          } else if (hook) {
            request.hook = hook;
          }
          return payload;
        },
      },
      async (request, reply) => {
        const hook = request.hook;
        if (!hook) {
          // An unknown hook, or a token hook whose key was wrong (checked before the body).
          metrics.eventsReceived.inc({ outcome: 'unauthorized' });
          throw new UnauthenticatedError(HOOK_REFUSAL);
        }
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (hook.auth === 'hmac') {
          try {
            await service.authenticate(hook, { headers: request.headers, body });
          } catch (error) {
            metrics.eventsReceived.inc({ outcome: 'unauthorized' });
            throw error;
          }
        }
        if (body.length > hook.maxBytes) {
          metrics.eventsReceived.inc({ outcome: 'too_large' });
          throw new PayloadTooLargeError(
            `the body is ${body.length} bytes; this hook takes at most ${hook.maxBytes}`,
          );
        }
        let receipt;
        try {
          receipt = await service.receive(hook, body);
        } catch (error) {
          if (error instanceof InputError) metrics.eventsReceived.inc({ outcome: 'invalid' });
          throw error;
        }
        metrics.eventsReceived.inc({ outcome: 'accepted' });
        return reply.status(202).send(receipt);
      },
    );
  });
}

export function registerEventRoutes(app: HttpApp, baton: Pick<Baton, 'eventService' | 'metrics'>): void {
  const service = baton.eventService;
  registerHookRoute(app, service, baton.metrics);

  app.get(
    '/api/v1/events',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Events of the projects the caller may view, newest first, with what each rule did.',
        querystring: z.object({
          project: z.string().optional(),
          hook: z.string().optional(),
          since: z
            .string()
            .optional()
            .refine(
              (text) => text === undefined || !Number.isNaN(Date.parse(text)),
              'must be an ISO date-time',
            )
            .describe('only events received at or after this time (ISO 8601)'),
          cursor: z.coerce.number().int().min(1).optional().describe('the `next` of the previous page'),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: { 200: z.object({ events: z.array(eventView), next: z.number().nullable() }) },
      },
    },
    async (request) => {
      const { project, hook, since, cursor, limit } = request.query;
      const page = await service.list(principalOf(request), {
        project,
        hook,
        since: since === undefined ? undefined : Date.parse(since),
        beforeId: cursor,
        limit,
      });
      return { events: page.events.map(viewEvent), next: page.next };
    },
  );

  app.get(
    '/api/v1/events/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'One event: its fields and its chain (rule → execution → rule → execution…, each with its state).',
        params: idParams,
        response: {
          200: z.object({
            event: eventView.omit({ matches: true }).extend({ payload: z.record(z.string(), z.unknown()) }),
            chain: z.array(chainView),
          }),
        },
      },
    },
    async (request) => {
      const detail = await service.detail(principalOf(request), request.params.id);
      const { chain, ...event } = detail;
      const { matches: _matches, ...rest } = viewEvent({ ...event, matches: [] });
      return { event: { ...rest, payload: event.payload }, chain: chain.map(viewChain) };
    },
  );

  app.get(
    '/api/v1/rules',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Rules the caller may view.',
        querystring: z.object({ project: z.string().optional() }),
        response: {
          200: z.object({
            rules: z.array(
              z.object({
                project: z.string(),
                name: z.string(),
                description: z.string().nullable(),
                on: z.string().describe('hook:NAME or execution:PROJECT/JOB'),
                when: z.string().nullable(),
                job: z.string(),
                options: z.record(z.string(), z.unknown()),
                dedup: z.object({ key: z.string().optional(), window: z.string() }).nullable(),
                throttle: z.object({ max: z.number(), per: z.string() }).nullable(),
                owner: z.string().describe('the user or service account its executions run as'),
                runAs: z
                  .string()
                  .nullable()
                  .describe('spec.runAs as written; without it the owner is whoever applied it'),
                enabled: z.boolean(),
                updatedAt: z.string(),
                updatedBy: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      rules: (await service.rules(principalOf(request), request.query.project)).map((rule) => ({
        project: rule.project,
        name: rule.name,
        description: rule.description,
        on: rule.trigger,
        when: rule.spec.when ?? null,
        job: rule.spec.job,
        options: rule.spec.options,
        dedup: rule.spec.dedup ?? null,
        throttle: rule.spec.throttle ?? null,
        owner: rule.owner,
        runAs: rule.spec.runAs ?? null,
        enabled: rule.enabled,
        updatedAt: iso(rule.updatedAt),
        updatedBy: rule.updatedBy,
      })),
    }),
  );

  app.get(
    '/api/v1/hooks',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Hooks the caller may view: their URL path, format, and where their key lives (never the key).',
        querystring: z.object({ project: z.string().optional() }),
        response: {
          200: z.object({
            hooks: z.array(
              z.object({
                project: z.string(),
                name: z.string(),
                description: z.string().nullable(),
                path: z.string(),
                format: z.enum(HOOK_FORMATS),
                auth: z.enum(['hmac', 'token']),
                secret: z.string().describe('the secret path holding the key'),
                maxBytes: z.number(),
                updatedAt: z.string(),
                updatedBy: z.string(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      hooks: (await service.hooks(principalOf(request), request.query.project)).map((hook) => ({
        project: hook.project,
        name: hook.name,
        description: hook.description,
        path: `/api/v1/hooks/${hook.project}/${hook.name}`,
        format: hook.format,
        auth: hook.auth,
        secret: hook.secretPath,
        maxBytes: hook.maxBytes,
        updatedAt: iso(hook.updatedAt),
        updatedBy: hook.updatedBy,
      })),
    }),
  );
}
