/**
 * Where the PromQL of an SLO document is written, with the DataSource each query goes to, so a
 * query Prometheus refuses can be reported at its own file:line:column. Pure; reads documents
 * that passed their schema (an OpenSLO SLI or SLO, a baton/v1 SLO, a Sloth file).
 */
import type { FieldPath } from './findings.js';
import type { PrometheusQuery } from './model.js';
import { isSlothDocument } from './sloth.js';

/** A PromQL query in a document. */
export interface LocatedQuery {
  /** Path of the query string from the document's root. */
  readonly path: FieldPath;
  readonly query: string;
  readonly template: PrometheusQuery['template'];
  /**
   * The DataSource the metric source names (`metricSourceRef`); absent for `type: Prometheus`
   * written inline and for Sloth files, which go to the default Prometheus.
   */
  readonly dataSource?: string;
}

type Json = Record<string, unknown>;

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)[name]
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Every PromQL query the document writes itself (an SLO's `indicatorRef` is the SLI's to report). */
export function queriesOf(document: unknown): LocatedQuery[] {
  if (isSlothDocument(document)) return slothQueries(document);
  const kind = field(document, 'kind');
  const spec = field(document, 'spec');
  if (kind === 'SLI') return sliQueries(spec, ['spec']);
  if (kind !== 'SLO') return [];
  return [
    ...sliQueries(field(field(spec, 'indicator'), 'spec'), ['spec', 'indicator', 'spec']),
    ...list(field(spec, 'objectives')).flatMap((objective, index) =>
      sliQueries(field(field(objective, 'indicator'), 'spec'), [
        'spec',
        'objectives',
        index,
        'indicator',
        'spec',
      ]),
    ),
  ];
}

/** The queries of an SLI spec at `at`: its threshold metric, or each part of its ratio metric. */
function sliQueries(spec: unknown, at: FieldPath): LocatedQuery[] {
  if (spec === undefined) return [];
  const sources: [unknown, FieldPath][] = [
    [field(field(spec, 'thresholdMetric'), 'metricSource'), [...at, 'thresholdMetric', 'metricSource']],
  ];
  const ratio = field(spec, 'ratioMetric');
  for (const part of ['good', 'bad', 'total', 'raw']) {
    sources.push([field(field(ratio, part), 'metricSource'), [...at, 'ratioMetric', part, 'metricSource']]);
  }
  return sources.flatMap(([source, path]) => metricSourceQuery(source, path));
}

function metricSourceQuery(source: unknown, at: FieldPath): LocatedQuery[] {
  const query = field(field(source, 'spec'), 'query');
  if (typeof query !== 'string') return [];
  const ref = field(source, 'metricSourceRef');
  if (typeof ref === 'string')
    return [{ path: [...at, 'spec', 'query'], query, template: 'none', dataSource: ref }];
  if (field(source, 'type') !== 'Prometheus') return [];
  return [{ path: [...at, 'spec', 'query'], query, template: 'none' }];
}

function slothQueries(document: unknown): LocatedQuery[] {
  return list(field(document, 'slos')).flatMap((slo, index) => {
    const sli = field(slo, 'sli');
    const at: FieldPath = ['slos', index, 'sli'];
    const found: LocatedQuery[] = [];
    const events = field(sli, 'events');
    for (const name of ['error_query', 'total_query']) {
      const query = field(events, name);
      if (typeof query === 'string')
        found.push({ path: [...at, 'events', name], query, template: 'sloth-window' });
    }
    const raw = field(field(sli, 'raw'), 'error_ratio_query');
    if (typeof raw === 'string')
      found.push({ path: [...at, 'raw', 'error_ratio_query'], query: raw, template: 'sloth-window' });
    return found;
  });
}
