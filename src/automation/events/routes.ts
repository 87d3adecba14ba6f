/**
 * Events over HTTP. `POST /api/v1/hooks/PROJECT/NAME` is the one route authenticated by a key
 * of its own (the hook's HMAC secret or token), not by Baton sessions or tokens: it reads the
 * body as raw bytes (the signature covers them exactly), refuses bodies over the hook's limit,
 * and stores nothing unless the key checks out. The rest reads events, rules and hooks.
 */
import { z } from 'zod';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { InputError, UnauthenticatedError } from '../../platform/errors.js';
import type { Metrics } from '../../platform/metrics.js';
import {
  eventDetailResponse,
  eventsQuery,
  eventsResponse,
  hookReceiptResponse,
  hooksResponse,
  projectQuery,
  rulesResponse,
  type ChainNodeView,
  type EventView,
  type RuleMatchView,
} from '../../contract/events.js';
import {
  MAX_HOOK_MAX_BYTES,
  type ChainNode,
  type Event,
  type Hook,
  type Rule,
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

function viewMatch(match: RuleMatch): RuleMatchView {
  return {
    rule: match.rule,
    outcome: match.outcome,
    executionId: match.executionId,
    reason: match.reason,
    triggerExecutionId: match.triggerExecutionId,
    at: iso(match.at),
  };
}

function viewEvent(event: Event & { matches: RuleMatch[] }): EventView {
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

/** A rule's `on` for people: its trigger, with the filters of a rule on SLO alerts. */
export function ruleOn(rule: Pick<Rule, 'trigger' | 'spec'>): string {
  if (!('slo' in rule.spec.on)) return rule.trigger;
  const trigger = rule.spec.on.slo;
  // In a fixed order: PostgreSQL's jsonb does not keep the order the keys were written in.
  const filters = (['service', 'severity', 'status'] as const)
    .filter((name) => trigger[name] !== undefined)
    .map((name) => `${name}=${trigger[name]}`);
  return `slo:${filters.join(',')}`;
}

function viewChain(node: ChainNode): ChainNodeView {
  return { ...node, at: iso(node.at), next: node.next.map(viewChain) };
}

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
          response: { 202: hookReceiptResponse },
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

/** What the event routes use of the server. */
export interface EventRoutesDeps {
  eventService: EventService;
  metrics: Metrics;
}

export function registerEventRoutes(app: HttpApp, baton: EventRoutesDeps): void {
  const service = baton.eventService;
  registerHookRoute(app, service, baton.metrics);

  app.get(
    '/api/v1/events',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Events of the projects the caller may view, newest first, with what each rule did.',
        querystring: eventsQuery,
        response: { 200: eventsResponse },
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
        response: { 200: eventDetailResponse },
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
        querystring: projectQuery,
        response: { 200: rulesResponse },
      },
    },
    async (request) => ({
      rules: (await service.rules(principalOf(request), request.query.project)).map((rule) => ({
        project: rule.project,
        name: rule.name,
        description: rule.description,
        on: ruleOn(rule),
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
        querystring: projectQuery,
        response: { 200: hooksResponse },
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
