import { describe, expect, it } from 'vitest';
import { evaluateSlo } from './evaluate.js';
import { readSloDocuments } from './resolve.js';
import { buildStatus, samplesOf } from './status.js';

const MINUTE = 60_000;
const NOW = Date.parse('2026-05-04T12:00:00Z');

const [slo] = readSloDocuments(
  [
    {
      apiVersion: 'baton/v1',
      kind: 'SLO',
      metadata: { name: 'pushes', displayName: 'Pushed checkouts' },
      spec: {
        service: 'shop',
        indicator: {
          spec: {
            ratioMetric: {
              good: { metricSource: { type: 'Pushed' } },
              total: { metricSource: { type: 'Pushed' } },
            },
          },
        },
        timeWindow: [{ duration: '7d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ target: 0.9 }],
      },
    },
  ],
  { batonServices: new Map([['shop', { owner: 'web' }]]) },
).slos;

const slices = (good: number, count = 12) =>
  Array.from({ length: count }, (_, i) => ({
    objective: 0,
    sliceStart: NOW - (count - i) * 5 * MINUTE,
    good,
    total: 100,
  }));

describe('an SLO status', () => {
  it('leaves corrected slices out, as if nothing was measured in them', () => {
    const samples = samplesOf(1, slices(50, 4), () => 5 * MINUTE, [
      { startsAt: NOW - 12 * MINUTE, endsAt: NOW - 6 * MINUTE },
    ]);
    // Slices starting 20, 15, 10 and 5 minutes ago: the correction overlaps the 15- and 10-minute ones.
    expect(samples[0]!.map((s) => (NOW - s.startMs) / MINUTE)).toEqual([20, 5]);
    expect(
      samplesOf(1, slices(50, 4), () => 5 * MINUTE, [{ startsAt: NOW - 30 * MINUTE, endsAt: null }])[0],
    ).toEqual([]);
  });

  it('is ok within budget, exhausted when none is left, and no-data since the first round without data', () => {
    const status = (
      good: number,
      count: number,
      error: string | null = null,
      previous?: ReturnType<typeof buildStatus>,
    ) =>
      buildStatus({
        slo: slo!,
        evaluation: evaluateSlo(slo!.math, {
          nowMs: NOW,
          samples: samplesOf(1, slices(good, count), () => 5 * MINUTE, []),
          missingSlices: 'skip',
        }),
        previous,
        error,
        openAlerts: [],
        nowMs: NOW,
      });
    const ok = status(99, 12);
    expect(ok).toMatchObject({
      slo: 'shop/pushes',
      health: 'ok',
      sli: 0.99,
      source: 'pushed',
      noDataSince: null,
      lastError: null,
    });
    expect(ok.budgetRemainingRatio).toBeCloseTo(0.9, 12);
    expect(ok.burnRates.find((r) => r.window === '1h')!.rate).toBeCloseTo(0.1, 12);
    expect(status(80, 12).health).toBe('exhausted');

    const none = status(0, 0);
    expect(none).toMatchObject({
      health: 'no-data',
      sli: null,
      budgetRemainingRatio: null,
      noDataSince: new Date(NOW).toISOString(),
    });
    // The numbers stay while the source fails; since when stays from the status before.
    const failing = status(99, 12, 'Prometheus at http://p unreachable: connect ECONNREFUSED', {
      ...none,
      noDataSince: '2026-05-04T11:00:00.000Z',
    });
    expect(failing).toMatchObject({ health: 'ok', sli: 0.99, noDataSince: '2026-05-04T11:00:00.000Z' });
    expect(failing.lastError).toMatch(/unreachable/);
  });

  it('is burning while a burn alert fires', () => {
    // 40 bad in 100 at a 90% target: burn rate 4 over every window, above the ticket factor of
    // 7 days (1d/2h at 10% gives 0.7), far from exhausted over the few slices measured.
    const samples = [
      ...Array.from({ length: 7 * 288 - 24 }, (_, i) => ({
        startMs: NOW - (7 * 288 - i) * 5 * MINUTE,
        good: 1000,
        total: 1000,
      })),
      ...slices(60, 24).map((s) => ({ startMs: s.sliceStart, good: s.good, total: s.total })),
    ];
    const evaluation = evaluateSlo(slo!.math, { nowMs: NOW, samples: [samples], missingSlices: 'skip' });
    const burning = buildStatus({
      slo: slo!,
      evaluation,
      previous: undefined,
      error: null,
      openAlerts: [],
      nowMs: NOW,
    });
    expect(burning.budgetRemainingRatio).toBeGreaterThan(0);
    expect(burning.health).toBe('burning');
  });
});
