/**
 * Webhook bodies into events. Alertmanager sends a group of alerts: one event per alert, each
 * with the group's context. A generic JSON body is one event whose fields are the body.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../platform/canonical-json.js';
import { formatPath } from '../../platform/documents/source.js';
import { InputError } from '../../platform/errors.js';
import { findShapeFlaw } from '../../platform/json-shape.js';
import type { HookFormat } from './model.js';

/** One event read from a body: its fields (what rules see) and its fingerprint. */
export interface ParsedEvent {
  fields: Record<string, unknown>;
  fingerprint: string;
}

const labelSet = z.record(z.string(), z.string());

/** The Alertmanager webhook payload (version 4), the parts Baton reads. */
const alertmanagerPayload = z.object({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  status: z.string().optional(),
  receiver: z.string().optional(),
  groupLabels: labelSet.optional(),
  commonLabels: labelSet.optional(),
  commonAnnotations: labelSet.optional(),
  externalURL: z.string().optional(),
  alerts: z.array(
    z.object({
      status: z.enum(['firing', 'resolved']),
      labels: labelSet,
      annotations: labelSet.optional(),
      startsAt: z.string().optional(),
      endsAt: z.string().optional(),
      generatorURL: z.string().optional(),
      fingerprint: z.string().optional(),
    }),
  ),
});

/** A stable hash of a value, for events that bring no fingerprint of their own. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

function parseJsonBody(body: Buffer): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InputError(`the body is not valid JSON: ${(error as Error).message}`, [
      { path: 'body', message: 'invalid JSON', expected: 'a JSON object' },
    ]);
  }
  // Before the fingerprint (canonical JSON) and rule matching recurse into it.
  const flaw = findShapeFlaw(value);
  if (flaw) {
    const path = formatPath(['body', ...flaw.path]);
    throw new InputError(`the body is refused: ${path} ${flaw.message}`, [
      { path, message: flaw.message, expected: flaw.expected },
    ]);
  }
  return value;
}

/** Reads a body in the hook's format; InputError (400) says what was expected. */
export function parseHookBody(format: HookFormat, body: Buffer): ParsedEvent[] {
  const value = parseJsonBody(body);
  if (format === 'json') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError('a json hook takes a JSON object', [
        {
          path: 'body',
          message: `found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
          expected: 'a JSON object (its keys become the event fields)',
        },
      ]);
    }
    return [{ fields: value as Record<string, unknown>, fingerprint: fingerprintOf(value) }];
  }
  const parsed = alertmanagerPayload.safeParse(value);
  if (!parsed.success) {
    throw new InputError(
      'the body is not an Alertmanager webhook payload',
      parsed.error.issues.slice(0, 5).map((issue) => ({
        path: ['body', ...issue.path].join('.'),
        message: issue.message,
        expected: 'an Alertmanager webhook payload: {"version": "4", "alerts": [{"status", "labels", …}], …}',
      })),
    );
  }
  const group = parsed.data;
  return group.alerts.map((alert) => {
    const fingerprint = alert.fingerprint ?? fingerprintOf(alert.labels);
    return {
      fingerprint,
      fields: {
        status: alert.status,
        labels: alert.labels,
        annotations: alert.annotations ?? {},
        startsAt: alert.startsAt ?? null,
        endsAt: alert.endsAt ?? null,
        generatorURL: alert.generatorURL ?? null,
        fingerprint,
        commonLabels: group.commonLabels ?? {},
        commonAnnotations: group.commonAnnotations ?? {},
        groupLabels: group.groupLabels ?? {},
        groupKey: group.groupKey ?? null,
        receiver: group.receiver ?? null,
        externalURL: group.externalURL ?? null,
      },
    };
  });
}
