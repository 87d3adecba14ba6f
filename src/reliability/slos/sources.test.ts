import { describe, expect, it } from 'vitest';
import type { FinishedExecutionFact } from '../../automation/executions/store.js';
import { readSloDocuments } from './resolve.js';
import type { SloModel } from './model.js';
import {
  countExecutionSlices,
  meetsThreshold,
  promDuration,
  sliceAmountQuery,
  sliceStartOf,
  withWindow,
} from './sources.js';

const MINUTE = 60_000;
const T0 = Date.parse('2026-05-04T12:00:00Z');

function slo(
  good: string,
  total: string,
  method = 'budgetingMethod: Occurrences\n  objectives: [{target: 0.9}]',
): SloModel {
  const reading = readSloDocuments(
    [
      {
        apiVersion: 'baton/v1',
        kind: 'SLO',
        metadata: { name: 'restarts' },
        spec: {
          service: 'web',
          indicator: {
            spec: {
              ratioMetric: {
                good: { metricSource: JSON.parse(good) },
                total: { metricSource: JSON.parse(total) },
              },
            },
          },
          timeWindow: [{ duration: '7d', isRolling: true }],
          ...(method.includes('Timeslices')
            ? {
                budgetingMethod: 'Timeslices',
                objectives: [{ target: 0.9, timeSliceTarget: 0.5, timeSliceWindow: '10m' }],
              }
            : { budgetingMethod: 'Occurrences', objectives: [{ target: 0.9 }] }),
        },
      },
    ],
    { batonServices: new Map([['web', { owner: 'sre' }]]) },
  );
  expect(reading.problems).toEqual([]);
  return reading.slos[0]!;
}

const run = (
  id: number,
  job: string,
  state: FinishedExecutionFact['state'],
  finishedAt: number,
  ms = 1000,
  service: string | null = 'web',
): FinishedExecutionFact => {
  const [project, name] = job.split('/') as [string, string];
  return { id, project, name, state, startedAt: finishedAt - ms, finishedAt, service };
};

describe('SLI slices from executions', () => {
  it('counts the runs of the selected job that finished in each slice, good when they meet the criteria', () => {
    const model = slo(
      '{"type": "Baton", "spec": {"job": "ops/restart", "states": ["succeeded"]}}',
      '{"type": "Baton", "spec": {"job": "ops/restart"}}',
    );
    const executions = [
      run(1, 'ops/restart', 'succeeded', T0 + 1 * MINUTE),
      run(2, 'ops/restart', 'failed', T0 + 2 * MINUTE),
      run(3, 'ops/restart', 'succeeded', T0 + 6 * MINUTE),
      run(4, 'ops/other', 'failed', T0 + 6 * MINUTE),
      run(5, 'ops/restart', 'failed', T0 - 1), // before the range
    ];
    expect(
      countExecutionSlices(model, 0, executions, { fromMs: T0, untilMs: T0 + 10 * MINUTE, anchorMs: 0 }),
    ).toEqual([
      { objective: 0, sliceStart: T0, good: 1, total: 2 },
      { objective: 0, sliceStart: T0 + 5 * MINUTE, good: 1, total: 1 },
    ]);
  });

  it("selects every job of the SLO's service without a job, and judges the time a run took", () => {
    const model = slo('{"type": "Baton", "spec": {"finishedWithin": "10m"}}', '{"type": "Baton"}');
    const executions = [
      run(1, 'ops/a', 'succeeded', T0 + MINUTE, 5 * MINUTE),
      run(2, 'ops/b', 'failed', T0 + MINUTE, 11 * MINUTE),
      run(3, 'ops/c', 'succeeded', T0 + MINUTE, MINUTE, 'payments'),
      { ...run(4, 'ops/d', 'cancelled', T0 + MINUTE), startedAt: null },
    ];
    expect(
      countExecutionSlices(model, 0, executions, { fromMs: T0, untilMs: T0 + 5 * MINUTE, anchorMs: 0 }),
    ).toEqual([{ objective: 0, sliceStart: T0, good: 1, total: 3 }]);
  });

  it("counts bad runs as the complement when the indicator names bad ones, on the objective's own slices", () => {
    const model = slo(
      '{"type": "Baton", "spec": {"job": "ops/restart", "states": ["failed", "timed_out"]}}'.replace(
        '"job"',
        '"job"',
      ),
      '{"type": "Baton", "spec": {"job": "ops/restart"}}',
      'Timeslices',
    );
    const badModel: SloModel = {
      ...model,
      objectives: [
        {
          ...model.objectives[0]!,
          indicator: {
            measure: {
              ...(model.objectives[0]!.indicator.measure as Extract<
                SloModel['objectives'][0]['indicator']['measure'],
                { kind: 'executions' }
              >),
              count: 'bad',
            },
          },
        },
      ],
    };
    const executions = [
      run(1, 'ops/restart', 'failed', T0 + 1 * MINUTE),
      run(2, 'ops/restart', 'succeeded', T0 + 9 * MINUTE),
    ];
    expect(
      countExecutionSlices(badModel, 0, executions, { fromMs: T0, untilMs: T0 + 20 * MINUTE, anchorMs: 0 }),
    ).toEqual([{ objective: 0, sliceStart: T0, good: 1, total: 2 }]);
  });
});

describe('PromQL for a slice', () => {
  const query = (text: string, template: 'none' | 'sloth-window' = 'none') => ({
    dataSource: {},
    query: text,
    template,
  });

  it('takes the increase of a counter over the slice, with a subquery for an expression', () => {
    expect(sliceAmountQuery(query('http_requests_total{code!~"5.."}'), true, 5 * MINUTE)).toBe(
      'sum(increase(http_requests_total{code!~"5.."}[5m]))',
    );
    expect(sliceAmountQuery(query('sum by (job) (http_requests_total)'), true, 60 * MINUTE)).toBe(
      'sum(increase((sum by (job) (http_requests_total))[1h:]))',
    );
    expect(sliceAmountQuery(query('queue_depth'), false, 5 * MINUTE)).toBe('sum(queue_depth)');
  });

  it("turns Sloth's per-second rates over {{.window}} into counts per slice", () => {
    const sloth = query('sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))', 'sloth-window');
    expect(withWindow(sloth, 5 * MINUTE)).toBe('sum(rate(http_requests_total{code=~"5.."}[5m]))');
    expect(sliceAmountQuery(sloth, true, 5 * MINUTE)).toBe(
      'sum(sum(rate(http_requests_total{code=~"5.."}[5m]))) * 300',
    );
    expect(promDuration(90_000)).toBe('90s');
  });

  it('compares a threshold metric with each op', () => {
    expect(meetsThreshold(0.2, { op: 'lt', value: 0.3 })).toBe(true);
    expect(meetsThreshold(0.3, { op: 'lt', value: 0.3 })).toBe(false);
    expect(meetsThreshold(0.3, { op: 'lte', value: 0.3 })).toBe(true);
    expect(meetsThreshold(0.3, { op: 'gt', value: 0.3 })).toBe(false);
    expect(meetsThreshold(0.3, { op: 'gte', value: 0.3 })).toBe(true);
  });

  it('puts slices on the grid from the anchor', () => {
    expect(sliceStartOf(T0 + 7 * MINUTE, 5 * MINUTE, 0)).toBe(T0 + 5 * MINUTE);
    expect(sliceStartOf(T0 + 7 * MINUTE, 5 * MINUTE, T0 + 3 * MINUTE)).toBe(T0 + 3 * MINUTE);
    expect(sliceStartOf(T0 - 1, 5 * MINUTE, T0)).toBe(T0 - 5 * MINUTE);
  });
});
