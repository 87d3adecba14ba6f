import { describe, expect, it } from 'vitest';
import type { NotificationDelivery } from '../api/schedules';
import { attemptResult, deliveriesSummary } from './notifications-view';

function delivery(status: NotificationDelivery['status']): NotificationDelivery {
  return {
    id: 1,
    event: 'failed',
    channel: 'webhook',
    source: 'job',
    destination: 'https://hooks.example.com/baton',
    status,
    attempts: 1,
    nextAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    createdAt: '2026-11-23T12:00:00Z',
    deliveredAt: null,
    history: [],
  };
}

describe('notification deliveries on the execution page', () => {
  it('sums the deliveries up by how they went, leaving out what did not happen', () => {
    expect(deliveriesSummary([delivery('delivered'), delivery('delivered'), delivery('failed')])).toBe(
      '2 delivered, 1 gave up',
    );
    expect(deliveriesSummary([delivery('pending')])).toBe('1 retrying or waiting');
    expect(deliveriesSummary([])).toBe('');
  });

  it('says how each attempt went: the error as recorded, the status code, or sent', () => {
    expect(attemptResult({ statusCode: 200, error: null })).toBe('HTTP 200');
    expect(attemptResult({ statusCode: 503, error: 'receiver answered HTTP 503' })).toBe(
      'receiver answered HTTP 503',
    );
    expect(attemptResult({ statusCode: null, error: 'connect ECONNREFUSED 127.0.0.1:9' })).toBe(
      'connect ECONNREFUSED 127.0.0.1:9',
    );
    expect(attemptResult({ statusCode: null, error: null })).toBe('sent');
  });
});
