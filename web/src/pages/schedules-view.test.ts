import { describe, expect, it } from 'vitest';
import type { Schedule } from '../api/schedules';
import { describeCron, lastFireSummary, optionPairs, sortSchedules } from './schedules-view';

function schedule(name: string, changes: Partial<Schedule> = {}): Schedule {
  return {
    project: 'ops',
    name,
    job: 'backup',
    definedByJob: null,
    description: null,
    cron: '* * * * *',
    timezone: 'UTC',
    options: {},
    enabled: true,
    misfire: 'skip',
    owner: 'admin',
    runAs: null,
    nextFireTimes: ['2026-11-23T12:00:00Z'],
    lastFire: null,
    updatedAt: '2026-11-23T11:00:00Z',
    updatedBy: 'admin',
    ...changes,
  };
}

describe('the schedules page', () => {
  it('lists what fires soonest first, then schedules with nothing to come, then disabled ones', () => {
    const sorted = sortSchedules([
      schedule('off', { enabled: false, nextFireTimes: [] }),
      schedule('later', { nextFireTimes: ['2026-11-23T13:00:00Z'] }),
      schedule('never', { nextFireTimes: [] }),
      schedule('soon', { nextFireTimes: ['2026-11-23T12:01:00Z'] }),
    ]);
    expect(sorted.map((entry) => entry.name)).toEqual(['soon', 'later', 'never', 'off']);
  });

  it('says what the last fire did, and marks a refusal, which needs someone to act', () => {
    const base = { scheduledAt: '2026-11-23T12:00:00Z', firedAt: '2026-11-23T12:00:00Z', execution: null };
    expect(lastFireSummary(null)).toBeNull();
    expect(lastFireSummary({ ...base, outcome: 'queued', reason: null })).toEqual({
      label: 'started',
      tone: 'ok',
      detail: null,
    });
    expect(lastFireSummary({ ...base, outcome: 'refused', reason: 'its owner "bob" is disabled' })).toEqual({
      label: 'refused',
      tone: 'bad',
      detail: 'its owner "bob" is disabled',
    });
    expect(lastFireSummary({ ...base, outcome: 'skipped_misfire', reason: null })?.detail).toMatch(
      /no server was up/,
    );
  });

  it('writes option values as they would be typed', () => {
    expect(optionPairs({ env: 'prod', hosts: ['a', 'b'], dry: false })).toEqual([
      'env=prod',
      'hosts=["a","b"]',
      'dry=false',
    ]);
  });

  it('reads the common cron shapes in plain words and leaves the rest as written', () => {
    expect(describeCron('* * * * *')).toBe('every minute');
    expect(describeCron('* * * * * *')).toBe('every second');
    expect(describeCron('*/15 * * * *')).toBe('every 15 minutes');
    expect(describeCron('5 * * * *')).toBe('every hour at :05');
    expect(describeCron('30 2 * * *')).toBe('every day at 02:30');
    expect(describeCron('0 30 2 * * *')).toBe('every day at 02:30');
    expect(describeCron('0 9 * * 1')).toBe('every Monday at 09:00');
    expect(describeCron('0 9 * * 7')).toBe('every Sunday at 09:00');
    expect(describeCron('@daily')).toBe('every day at 00:00');
    expect(describeCron('15 0 30 2 * *')).toBeNull();
    expect(describeCron('0 9 * * 1-5')).toBeNull();
    expect(describeCron('0 0 1 * *')).toBeNull();
  });
});
