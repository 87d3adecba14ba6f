import { describe, expect, it } from 'vitest';
import type { ServiceHealth, SloStatus, SloSummary } from '../api/slos';
import {
  budgetDomain,
  budgetTone,
  linePath,
  matchesFilters,
  readServicesFilters,
  scale,
  serviceHealth,
  sliDomain,
  sortServices,
} from './services-view';

function slo(health: SloStatus['health'] | null): SloSummary {
  return {
    slo: 'x/y',
    service: 'x',
    name: 'y',
    displayName: null,
    format: 'baton/v1',
    owner: { kind: 'none' },
    target: 0.99,
    status: health === null ? null : ({ health } as SloSummary['status']),
  };
}

function service(name: string, over: Partial<ServiceHealth> = {}): ServiceHealth {
  return {
    name,
    description: null,
    owner: { kind: 'team', team: 'payments', from: 'baton-service' },
    lifecycle: 'production',
    slos: [],
    attainment: null,
    budgetRemainingRatio: null,
    gate: { state: 'open', reason: null, policy: null, rule: null },
    ...over,
  };
}

describe('the services page', () => {
  it('reads filters and sort from the URL, ignoring values it does not know', () => {
    expect(
      readServicesFilters(new URLSearchParams('owner=sre&gate=frozen&health=burning&sort=budget&dir=desc')),
    ).toEqual({
      owner: 'sre',
      gate: 'frozen',
      health: 'burning',
      sort: 'budget',
      descending: true,
    });
    expect(readServicesFilters(new URLSearchParams('gate=shut&sort=color'))).toEqual({
      owner: '',
      gate: '',
      health: '',
      sort: 'name',
      descending: false,
    });
  });

  it("gives a service its worst SLO's health, an unevaluated SLO counting as no data", () => {
    expect(serviceHealth({ slos: [] })).toBeNull();
    expect(serviceHealth({ slos: [slo('ok'), slo(null)] })).toBe('no-data');
    expect(serviceHealth({ slos: [slo('ok'), slo('burning'), slo(null)] })).toBe('burning');
    expect(serviceHealth({ slos: [slo('exhausted'), slo('burning')] })).toBe('exhausted');
  });

  it('filters by owner (none for unowned), gate and health', () => {
    const orphan = service('legacy', { owner: { kind: 'none' } });
    const frozen = service('checkout', {
      slos: [slo('exhausted')],
      gate: { state: 'frozen', reason: 'budget spent', policy: 'p', rule: 'r' },
    });
    const base = readServicesFilters(new URLSearchParams());
    expect(matchesFilters(orphan, { ...base, owner: 'none' })).toBe(true);
    expect(matchesFilters(frozen, { ...base, owner: 'none' })).toBe(false);
    expect(matchesFilters(frozen, { ...base, owner: 'payments' })).toBe(true);
    expect(matchesFilters(frozen, { ...base, gate: 'frozen', health: 'exhausted' })).toBe(true);
    expect(matchesFilters(frozen, { ...base, gate: 'open' })).toBe(false);
    expect(matchesFilters(orphan, { ...base, health: 'ok' })).toBe(false);
  });

  it('sorts with missing values last in both directions, ties by name', () => {
    const services = [
      service('c', { budgetRemainingRatio: 0.5 }),
      service('a', { budgetRemainingRatio: null }),
      service('b', { budgetRemainingRatio: -0.2 }),
      service('d', { budgetRemainingRatio: 0.5 }),
    ];
    expect(sortServices(services, 'budget', false).map((s) => s.name)).toEqual(['b', 'c', 'd', 'a']);
    expect(sortServices(services, 'budget', true).map((s) => s.name)).toEqual(['c', 'd', 'b', 'a']);
    const gates = [
      service('open'),
      service('frozen', { gate: { state: 'frozen', reason: 'x', policy: null, rule: null } }),
      service('approval', { gate: { state: 'approval', reason: 'x', policy: null, rule: null } }),
    ];
    expect(sortServices(gates, 'gate', false).map((s) => s.name)).toEqual(['frozen', 'approval', 'open']);
  });

  it('marks a budget as spent at or below 0 and low at a quarter', () => {
    expect(budgetTone(null)).toBe('none');
    expect(budgetTone(-0.1)).toBe('out');
    expect(budgetTone(0)).toBe('out');
    expect(budgetTone(0.25)).toBe('low');
    expect(budgetTone(0.8)).toBe('ok');
  });
});

describe('the SLO charts', () => {
  it('draws a line broken where a slice had no data', () => {
    const x = scale(0, 2000, 0, 100);
    const y = scale(0, 1, 50, 0);
    const at = (ms: number) => new Date(ms).toISOString();
    expect(
      linePath(
        [
          { at: at(0), value: 1 },
          { at: at(500), value: 0.5 },
          { at: at(1000), value: null },
          { at: at(1500), value: 0 },
          { at: at(2000), value: 0 },
        ],
        x,
        y,
      ),
    ).toBe('M0 0 L25 25 M75 50 L100 50');
  });

  it('shows the target and the lowest SLI with a margin, and the budget below 0 when overspent', () => {
    const points = [
      { at: '2026-01-01T00:00:00Z', sli: 0.995, budgetRemainingRatio: 0.5 },
      { at: '2026-01-02T00:00:00Z', sli: null, budgetRemainingRatio: -0.4 },
    ];
    const [low, high] = sliDomain(points, 0.999);
    expect(high).toBe(1);
    expect(low).toBeCloseTo(0.995 - 0.005 * 0.2, 12);
    expect(budgetDomain(points)).toEqual([-0.4, 1]);
  });
});
