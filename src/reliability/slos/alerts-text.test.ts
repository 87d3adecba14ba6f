import { describe, expect, it } from 'vitest';
import { alertWindows, evaluateAlerts } from './alert-windows.js';
import {
  alertEventFields,
  alertWishes,
  burnSummary,
  formatThreshold,
  servicePath,
  wantedAlerts,
  windowName,
} from './alerts-text.js';
import type { AlertPolicyModel, SloModel } from './model.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Alert states of a 30-day SLO whose burn rate over each window length is given (null: no data). */
function states(rates: Record<string, number | null>) {
  const byMs: Record<number, string> = {
    [5 * MINUTE]: '5m',
    [30 * MINUTE]: '30m',
    [HOUR]: '1h',
    [2 * HOUR]: '2h',
    [6 * HOUR]: '6h',
    [DAY]: '1d',
    [3 * DAY]: '3d',
  };
  return evaluateAlerts(alertWindows(30 * DAY), (ms) => rates[byMs[ms]!] ?? null);
}

const quiet = { '5m': 0.5, '30m': 0.5, '1h': 0.5, '2h': 0.5, '6h': 0.5, '1d': 0.5, '3d': 0.5 };
const status = { noDataSince: null, budgetRemainingRatio: 0.8 };
const noPolicy = alertWishes([]);

function policy(overrides: Partial<AlertPolicyModel>): AlertPolicyModel {
  return {
    name: 'paging',
    alertWhenNoData: false,
    alertWhenResolved: false,
    alertWhenBreaching: true,
    conditions: [],
    notificationTargets: [],
    ...overrides,
  };
}

describe('alert text', () => {
  it('names windows as the burn-rate list does', () => {
    expect([5 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY].map(windowName)).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
    ]);
  });

  it('writes thresholds with the decimals they need, up to two', () => {
    expect([14.4, 6, 3, 1, 13.44, 5.6, 2.8, 14 / 15].map(formatThreshold)).toEqual([
      '14.4×',
      '6.0×',
      '3.0×',
      '1.0×',
      '13.44×',
      '5.6×',
      '2.8×',
      '0.93×',
    ]);
  });

  it('summarises the burn that fired with both windows and the threshold', () => {
    const [quickPage] = states({ ...quiet, '1h': 15.24, '5m': 16 });
    expect(quickPage!.firing).toBe(true);
    expect(burnSummary(quickPage!)).toBe('burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)');
  });
});

describe('wantedAlerts', () => {
  it('opens nothing while every window burns below its factor', () => {
    expect(wantedAlerts(states(quiet), status, noPolicy).open.size).toBe(0);
  });

  it('opens a page when both page windows burn above 14.4×, and not when only the long one does', () => {
    const page = wantedAlerts(states({ ...quiet, '1h': 15.24, '5m': 16 }), status, noPolicy);
    expect([...page.open.keys()]).toEqual(['page']);
    expect(page.open.get('page')).toEqual({
      summary: 'burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)',
      longWindow: '1h',
      shortWindow: '5m',
      longBurnRate: 15.24,
      shortBurnRate: 16,
      threshold: 14.4,
      budgetRemainingRatio: 0.8,
    });
    // A burst that already stopped: the 1h window still remembers it, the 5m one does not.
    expect(wantedAlerts(states({ ...quiet, '1h': 15.24, '5m': 2 }), status, noPolicy).open.size).toBe(0);
  });

  it('opens the slow page at 6× over 6h and 30m, and tickets at 3× (1d, 2h) and 1× (3d, 6h)', () => {
    const slowPage = wantedAlerts(states({ ...quiet, '6h': 7, '30m': 8 }), status, noPolicy);
    expect([...slowPage.open.keys()]).toEqual(['page']);
    expect(slowPage.open.get('page')!.summary).toBe(
      'burn rate 7.0× over 6h and 8.0× over 30m (threshold 6.0×)',
    );
    const ticket = wantedAlerts(states({ ...quiet, '3d': 1.5, '6h': 1.2 }), status, noPolicy);
    expect([...ticket.open.keys()]).toEqual(['ticket']);
    expect(ticket.open.get('ticket')!.threshold).toBe(1);
  });

  it('shows the quickest of two firing windows of a severity', () => {
    const both = wantedAlerts(
      states({ ...quiet, '1h': 20, '5m': 20, '6h': 20, '30m': 20, '1d': 20, '2h': 20, '3d': 20 }),
      status,
      noPolicy,
    );
    expect(both.open.get('page')!.threshold).toBe(14.4);
    expect(both.open.get('ticket')!.threshold).toBe(3);
  });

  it('leaves a severity unjudged when none of its windows has data, and opens no-data only when a policy asks', () => {
    const none = states({});
    const silent = wantedAlerts(none, { ...status, noDataSince: '2026-12-08T01:00:00.000Z' }, noPolicy);
    expect(silent.open.size).toBe(0);
    expect([...silent.unjudged].sort()).toEqual(['page', 'ticket']);
    const asked = wantedAlerts(
      none,
      { ...status, noDataSince: '2026-12-08T01:00:00.000Z' },
      alertWishes([policy({ alertWhenNoData: true })]),
    );
    expect([...asked.open.keys()]).toEqual(['no-data']);
    expect(asked.open.get('no-data')!.summary).toBe('no data since 2026-12-08T01:00:00.000Z');
    // Data in the page windows only: tickets cannot be judged, pages can.
    const partial = wantedAlerts(states({ '5m': 0.1, '30m': 0.1, '1h': 0.1, '6h': 0.1 }), status, noPolicy);
    expect([...partial.unjudged]).toEqual(['ticket']);
  });
});

describe('alertWishes', () => {
  it('raises burns and resolutions without a policy, and follows OpenSLO flags with one', () => {
    expect(alertWishes([])).toEqual({ breaching: true, resolved: true, noData: false });
    expect(alertWishes([policy({ alertWhenBreaching: false }), policy({ alertWhenResolved: true })])).toEqual(
      { breaching: true, resolved: true, noData: false },
    );
    expect(alertWishes([policy({ alertWhenBreaching: false })])).toEqual({
      breaching: false,
      resolved: false,
      noData: false,
    });
  });
});

describe('alertEventFields', () => {
  const slo = {
    format: 'openslo/v1',
    name: 'checkout-availability',
    displayName: 'Checkout availability',
    service: 'web shop',
    labels: { tier: 'gold' },
    alertPolicies: [
      policy({
        notificationTargets: [
          { name: 'shop-oncall', target: 'oncall' },
          { name: 'shop-slack', target: 'oncall' },
        ],
      }),
    ],
  } as unknown as SloModel;

  it('carries what rules need: who, how bad, since when, and where to look', () => {
    const detail = wantedAlerts(states({ ...quiet, '1h': 15.24, '5m': 16 }), status, noPolicy).open.get(
      'page',
    )!;
    const fields = alertEventFields({
      slo,
      status: 'firing',
      severity: 'page',
      detail,
      openedAt: Date.parse('2026-12-08T02:00:00Z'),
      resolvedAt: null,
      burnRates: [
        { window: '5m', rate: 16 },
        { window: '1h', rate: 15.24 },
        { window: '3d', rate: null },
      ],
      publicUrl: 'https://baton.example/',
    });
    expect(fields).toEqual({
      status: 'firing',
      severity: 'page',
      slo: 'web shop/checkout-availability',
      summary: 'burn rate 15.2× over 1h and 16.0× over 5m (threshold 14.4×)',
      service: 'web shop',
      name: 'checkout-availability',
      displayName: 'Checkout availability',
      project: null,
      format: 'openslo/v1',
      labels: { tier: 'gold' },
      burnRate: { long: { window: '1h', rate: 15.24 }, short: { window: '5m', rate: 16 } },
      burnRates: { '5m': 16, '1h': 15.24, '3d': null },
      threshold: 14.4,
      budgetRemaining: 0.8,
      link: 'https://baton.example/services/web%20shop',
      openedAt: '2026-12-08T02:00:00.000Z',
      resolvedAt: null,
      notificationTargets: ['oncall'],
      notificationTargetNames: ['shop-oncall', 'shop-slack'],
    });
    // The events list's summary reads the first keys.
    expect(Object.keys(fields).slice(0, 4)).toEqual(['status', 'severity', 'slo', 'summary']);
  });

  it('links to the service page relative to the UI without a public URL', () => {
    expect(servicePath('checkout')).toBe('/services/checkout');
  });
});
