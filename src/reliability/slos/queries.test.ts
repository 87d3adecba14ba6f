/** Where the PromQL of each kind of SLO document is, so a refused query is reported at its place. */
import { describe, expect, it } from 'vitest';
import { queriesOf } from './queries.js';

describe('queries of SLO documents', () => {
  it('finds an SLI ratio metric and says which DataSource each part goes to', () => {
    const sli = {
      apiVersion: 'openslo/v1',
      kind: 'SLI',
      metadata: { name: 'ok' },
      spec: {
        ratioMetric: {
          good: { metricSource: { metricSourceRef: 'prom', spec: { query: 'good' } } },
          total: { metricSource: { type: 'Prometheus', spec: { query: 'total' } } },
        },
      },
    };
    expect(queriesOf(sli)).toEqual([
      {
        path: ['spec', 'ratioMetric', 'good', 'metricSource', 'spec', 'query'],
        query: 'good',
        template: 'none',
        dataSource: 'prom',
      },
      {
        path: ['spec', 'ratioMetric', 'total', 'metricSource', 'spec', 'query'],
        query: 'total',
        template: 'none',
      },
    ]);
  });

  it("finds an SLO's inline indicator and each composite objective's, and skips sources that are not PromQL", () => {
    const slo = {
      apiVersion: 'baton/v1',
      kind: 'SLO',
      spec: {
        indicator: {
          spec: { thresholdMetric: { metricSource: { type: 'Prometheus', spec: { query: 'p99' } } } },
        },
        objectives: [
          {
            indicator: {
              spec: { ratioMetric: { raw: { metricSource: { type: 'Prometheus', spec: { query: 'r' } } } } },
            },
          },
          {
            indicator: {
              spec: { ratioMetric: { good: { metricSource: { type: 'Baton', spec: { job: 'a/b' } } } } },
            },
          },
          { indicatorRef: 'elsewhere' },
        ],
      },
    };
    expect(queriesOf(slo).map((query) => [query.path.join('.'), query.query])).toEqual([
      ['spec.indicator.spec.thresholdMetric.metricSource.spec.query', 'p99'],
      ['spec.objectives.0.indicator.spec.ratioMetric.raw.metricSource.spec.query', 'r'],
    ]);
  });

  it('finds the event and raw queries of a Sloth file as window templates', () => {
    const sloth = {
      version: 'prometheus/v1',
      service: 'svc',
      slos: [
        {
          name: 'a',
          objective: 99,
          sli: { events: { error_query: 'e[{{.window}}]', total_query: 't[{{.window}}]' } },
        },
        { name: 'b', objective: 99, sli: { raw: { error_ratio_query: 'r[{{.window}}]' } } },
      ],
    };
    expect(queriesOf(sloth)).toEqual([
      {
        path: ['slos', 0, 'sli', 'events', 'error_query'],
        query: 'e[{{.window}}]',
        template: 'sloth-window',
      },
      {
        path: ['slos', 0, 'sli', 'events', 'total_query'],
        query: 't[{{.window}}]',
        template: 'sloth-window',
      },
      {
        path: ['slos', 1, 'sli', 'raw', 'error_ratio_query'],
        query: 'r[{{.window}}]',
        template: 'sloth-window',
      },
    ]);
  });

  it('finds nothing in documents without PromQL', () => {
    expect(queriesOf({ apiVersion: 'openslo/v1', kind: 'DataSource', spec: { type: 'Prometheus' } })).toEqual(
      [],
    );
  });
});
