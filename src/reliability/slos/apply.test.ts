/**
 * SLO documents through `baton apply` on both databases: Baton's own SLOs, OpenSLO v1 (a YAML
 * list file included) and Sloth files apply all or nothing; every bad input of issue 15 is an
 * error at file:line:column with nothing written; PromQL is checked against a real Prometheus.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import { freePort, startPrometheus, type PrometheusServer } from '../../../test/prometheus-server.js';
import { ApplyService } from '../../platform/documents/apply.js';
import type { Principal } from '../../access/model.js';
import type { ApplyResponse } from '../../contract/apply.js';
import { ForbiddenError, InputError, type Problem } from '../../platform/errors.js';
import { serviceKind } from '../services/kind.js';
import { registerSloDocuments } from './kind.js';
import { listSloDocuments, loadSloReading, saveSloDocument } from './store.js';

const testdata = (name: string) => fs.readFileSync(path.join(import.meta.dirname, 'testdata', name), 'utf8');

const CATALOG = `apiVersion: baton/v1
kind: Team
metadata: {name: shop-team}
spec: {members: [alice]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: web}
spec: {owner: shop-team, lifecycle: production}
---
apiVersion: baton/v1
kind: Service
metadata: {name: api}
spec: {owner: shop-team, lifecycle: production}
---
apiVersion: baton/v1
kind: Job
metadata: {name: restart-web, project: ops}
spec:
  service: web
  purpose: remediation
  steps: [{name: restart, script: echo restarted}]
`;

/** Line and column (from 1) of `text` in `content`, where an error about that value must point. */
function placeOf(content: string, text: string): { line: number; column: number } {
  const offset = content.indexOf(text);
  if (offset < 0) throw new Error(`${text} is not in the document`);
  const before = content.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

describe.each(DIALECTS)('SLO documents applied on %s', (dialect) => {
  let baton: TestBaton;
  let prometheus: PrometheusServer;
  let openslo: string;
  /** The two warnings of openslo-list.yaml, in reading order. */
  const conditionNotEvaluated = () => ({
    file: 'openslo.yaml',
    ...placeOf(openslo, 'kind: burnrate'),
    path: '[3].spec.condition',
    message: expect.stringContaining('Baton does not evaluate this condition'),
    expected: expect.stringContaining('alertWhen'),
  });
  const opOnARatio = () => ({
    file: 'openslo.yaml',
    ...placeOf(openslo, 'gte\n        target'),
    path: '[6].spec.objectives[0].op',
    message: expect.stringContaining('op and value apply to threshold metrics'),
  });
  const apply = (files: Record<string, string>, options: { dryRun?: boolean; prune?: boolean } = {}) =>
    baton.apply.applyWithWarnings(
      { files: Object.entries(files).map(([name, content]) => ({ name, content })), ...options },
      admin,
    );
  const storedRows = async () =>
    (await listSloDocuments(baton.db)).map(
      (row) => `${row.apiVersion} ${row.kind} ${row.name} ${row.digest}`,
    );
  /** Applies a bad file; checks nothing was written and returns the problems. */
  const refused = async (
    files: Record<string, string>,
    options: { prune?: boolean } = {},
  ): Promise<Problem[]> => {
    const before = await storedRows();
    const error = await apply(files, options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect(await storedRows()).toEqual(before);
    return (error as InputError).problems;
  };

  beforeAll(async () => {
    [baton, prometheus] = await Promise.all([
      startTestBaton(dialect, { embeddedWorker: false }),
      startPrometheus(),
    ]);
    await baton.addUser('alice');
    await baton.applyYaml(CATALOG, 'catalog.yaml');
    openslo = testdata('openslo-list.yaml').replace('PROMETHEUS_URL', prometheus.url);
  }, 120_000);
  afterAll(async () => {
    await prometheus?.stop();
    await baton?.stop();
  });

  it('applies a baton/v1 SLO on the executions of a job of the service', async () => {
    const { results, warnings } = await apply({ 'slos/web.yaml': testdata('baton-slo.yaml') });
    expect(results).toEqual([
      { kind: 'SLO', scope: 'web', name: 'restarts-succeed', action: 'created', file: 'slos/web.yaml' },
    ]);
    expect(warnings).toEqual([]);
    const reading = await loadSloReading(baton.db);
    const slo = reading.slos.find(
      (candidate) => `${candidate.service}/${candidate.name}` === 'web/restarts-succeed',
    );
    expect(slo?.objectives[0]?.indicator.measure).toMatchObject({
      kind: 'executions',
      selector: { job: { project: 'ops', name: 'restart-web' } },
    });
    expect((await apply({ 'slos/web.yaml': testdata('baton-slo.yaml') })).results[0]!.action).toBe(
      'unchanged',
    );
  });

  it('keeps SLOs of the same name on two services apart', async () => {
    const onApi = testdata('baton-slo.yaml').replace('service: web', 'service: api');
    const { results } = await apply({ 'slos/api.yaml': onApi });
    expect(results).toEqual([
      expect.objectContaining({ kind: 'SLO', scope: 'api', name: 'restarts-succeed', action: 'created' }),
    ]);
    const keys = (await loadSloReading(baton.db)).slos.map((slo) => `${slo.service}/${slo.name}`);
    expect(keys).toEqual(expect.arrayContaining(['web/restarts-succeed', 'api/restarts-succeed']));
  });

  it('refuses to prune a Baton Service an SLO is about, naming the SLO', async () => {
    const onlyWeb = CATALOG.split('---\n')
      .filter((document) => !document.includes('name: api}'))
      .join('---\n');
    const problems = await refused({ 'catalog.yaml': onlyWeb }, { prune: true });
    expect(problems).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /^baton\/v1 SLO api\/restarts-succeed .*spec\.service: no service named "api"/,
        ),
      }),
    ]);
  });

  it('applies the OpenSLO kinds from one YAML list file, with a warning for op on a ratio metric', async () => {
    const { results, warnings } = await apply({ 'openslo.yaml': openslo });
    expect(
      results.map((result) => `${result.apiVersion} ${result.kind} ${result.name} ${result.action}`),
    ).toEqual([
      'openslo/v1 Service shop created',
      'openslo/v1 DataSource shop-prometheus created',
      'openslo/v1 SLI checkout-success created',
      'openslo/v1 AlertCondition fast-burn created',
      'openslo/v1 AlertNotificationTarget shop-oncall created',
      'openslo/v1 AlertPolicy shop-paging created',
      'openslo/v1 SLO checkout-availability created',
    ]);
    // The queries went to the real Prometheus and parsed: no "not checked" warning.
    expect(warnings).toEqual([conditionNotEvaluated(), opOnARatio()]);
    const slo = (await loadSloReading(baton.db)).slos.find(
      (candidate) => candidate.name === 'checkout-availability',
    );
    expect(slo).toMatchObject({ service: 'shop', format: 'openslo/v1' });
    expect(slo?.alertPolicies.map((policy) => policy.name)).toEqual(['shop-paging']);
    // Each item is stored as its own text.
    const sli = (await listSloDocuments(baton.db, { kind: 'SLI' }))[0]!;
    expect(sli.source).toMatch(
      /^apiVersion: openslo\/v1\nkind: SLI\nmetadata:\n {2}name: checkout-success\n/,
    );
  });

  it('applies a Sloth file, named by its service', async () => {
    const sloth = testdata('sloth.yaml');
    const { results, warnings } = await apply({ 'sloth.yaml': sloth });
    // No Prometheus URL for a Sloth file here: its queries are not checked, and it says so.
    expect(warnings).toEqual([
      expect.objectContaining({ ...placeOf(sloth, 'myteam'), path: 'labels.owner' }),
      expect.objectContaining({
        ...placeOf(sloth, 'sum(rate(http_request_duration_seconds_count{job="myservice",code'),
        path: 'slos[0].sli.events.error_query',
        message: 'PromQL not checked: no Prometheus URL to send it to',
      }),
    ]);
    expect(results).toEqual([
      {
        kind: 'Sloth',
        apiVersion: 'prometheus/v1',
        scope: '',
        name: 'myservice',
        action: 'created',
        file: 'sloth.yaml',
      },
    ]);
    const slo = (await loadSloReading(baton.db)).slos.find((candidate) => candidate.service === 'myservice');
    expect(slo).toMatchObject({ name: 'requests-availability', format: 'prometheus/v1' });
  });

  describe('bad input: an error at file:line:column, nothing applied', () => {
    const batonSlo = testdata('baton-slo.yaml');
    const cases: [string, string, string, string, RegExp][] = [
      [
        'an unknown service',
        batonSlo.replace('service: web', 'service: nowhere'),
        'nowhere',
        'spec.service',
        /no service named "nowhere"/,
      ],
      [
        'a target of 100%',
        batonSlo.replace('target: 0.99', 'targetPercent: 100'),
        '100',
        'spec.objectives[0].targetPercent',
        /\[0, 100\)/,
      ],
      [
        'a window the budgeting method cannot use',
        batonSlo.replace('- target: 0.99', '- target: 0.99\n      timeSliceWindow: 5m'),
        '5m',
        'spec.objectives[0].timeSliceWindow',
        /no timeSliceWindow with budgetingMethod Occurrences/,
      ],
      [
        'a calendar start in another format',
        batonSlo.replace(
          '- duration: 30d\n      isRolling: true',
          '- duration: 1M\n      calendar: {startTime: "2026-01-01T00:00:00Z", timeZone: UTC}',
        ),
        '"2026-01-01T00:00:00Z"',
        'spec.timeWindow[0].calendar.startTime',
        /YYYY-MM-DD HH:MM:SS/,
      ],
      [
        'a metric source type Baton cannot read',
        batonSlo.replace(
          'type: Baton\n            spec: { job: ops/restart-web, states',
          'type: Datadog\n            spec: { job: ops/restart-web, states',
        ),
        'Datadog',
        'spec.indicator.spec.ratioMetric.good.metricSource.type',
        /"Datadog" is not one Baton can read/,
      ],
    ];
    it.each(cases)('%s', async (_label, content, value, fieldPath, message) => {
      const problems = await refused({ 'bad.yaml': content });
      expect(problems).toContainEqual(
        expect.objectContaining({
          file: 'bad.yaml',
          ...placeOf(content, value),
          path: fieldPath,
          message: expect.stringMatching(message),
        }),
      );
    });

    it('an unknown SLI or data source reference, in a list item', async () => {
      const content = openslo
        .replace('indicatorRef: checkout-success', 'indicatorRef: checkout-sucess')
        .replace(
          'metricSourceRef: shop-prometheus\n          spec:\n            query: sum(checkout_requests_total)\n',
          'metricSourceRef: shop-prom\n          spec:\n            query: sum(checkout_requests_total)\n',
        );
      const problems = await refused({ 'openslo.yaml': content });
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            ...placeOf(content, 'checkout-sucess'),
            path: '[6].spec.indicatorRef',
            message: 'no SLI named "checkout-sucess" is defined',
            expected: expect.stringContaining('checkout-success'),
          }),
          expect.objectContaining({
            ...placeOf(content, 'shop-prom\n'),
            path: '[2].spec.ratioMetric.total.metricSource.metricSourceRef',
            message: 'no DataSource named "shop-prom" is defined',
          }),
        ]),
      );
    });

    it('a PromQL syntax error, where the query is', async () => {
      const content = openslo.replace(
        'query: sum(checkout_requests_total)\n',
        'query: sum(checkout_requests_total\n',
      );
      const problems = await refused({ 'openslo.yaml': content });
      expect(problems).toEqual([
        expect.objectContaining({
          ...placeOf(content, 'sum(checkout_requests_total\n'),
          path: '[2].spec.ratioMetric.total.metricSource.spec.query',
          message: expect.stringMatching(/cannot parse the query: \d+:\d+: parse error/),
        }),
      ]);
    });

    it('an apiVersion the kind does not have, naming the ones it has', async () => {
      const content = batonSlo.replace('apiVersion: baton/v1', 'apiVersion: openslo/v2');
      const problems = await refused({ 'bad.yaml': content });
      expect(problems).toEqual([
        expect.objectContaining({
          ...placeOf(content, 'openslo/v2'),
          path: 'apiVersion',
          expected: 'one of baton/v1, openslo/v1',
        }),
      ]);
    });
  });

  it('refuses to prune an SLI an SLO still uses, naming the SLO, then prunes both', async () => {
    const withoutSli = `apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata: {name: shop-oncall}
spec: {target: pagerduty}
`;
    // Pruning SLIs: the only SLI goes, while the stored SLO refers to it.
    const sliFile = `apiVersion: openslo/v1
kind: SLI
metadata: {name: unused}
spec:
  ratioMetric:
    good: {metricSource: {type: Pushed}}
    total: {metricSource: {type: Pushed}}
`;
    const problems = await refused({ 'sli.yaml': sliFile, 'target.yaml': withoutSli }, { prune: true });
    expect(problems).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(
          /openslo\/v1 SLO checkout-availability .*spec\.indicatorRef.*checkout-success/,
        ),
      }),
    );
    // SLOs are pruned per service: applying another SLO of service shop deletes the old one.
    const otherSlo = `apiVersion: openslo/v1
kind: SLO
metadata: {name: pushed-availability}
spec:
  service: shop
  indicatorRef: unused
  timeWindow: [{duration: 7d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{target: 0.9}]
`;
    const items = openslo.split(/\n(?=- apiVersion)/);
    const kept = items.filter((item) => !/kind: (SLI|SLO)\n/.test(item)).join('\n');
    const pruned = await apply(
      { 'openslo.yaml': kept, 'sli.yaml': sliFile, 'slo.yaml': otherSlo },
      { prune: true },
    );
    const deleted = pruned.results.filter((result) => result.action === 'deleted');
    expect(deleted.map((result) => `${result.kind} ${result.name}`).sort()).toEqual([
      'SLI checkout-success',
      'SLO checkout-availability',
    ]);
    const reading = await loadSloReading(baton.db);
    expect(reading.problems).toEqual([]);
    expect(reading.slos.map((slo) => slo.name)).not.toContain('checkout-availability');
  });

  it('answers the warnings over HTTP, on a dry run too', async () => {
    const response = await baton.request('POST', '/api/v1/apply', {
      files: [{ name: 'openslo.yaml', content: openslo }],
      dryRun: true,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json() as ApplyResponse;
    expect(body.warnings).toEqual([conditionNotEvaluated(), opOnARatio()]);
    expect(body.results.find((result) => result.kind === 'SLI')).toMatchObject({ apiVersion: 'openslo/v1' });
  });

  it('shows diffs and warnings on a dry run and writes nothing', async () => {
    const before = await storedRows();
    const changed = testdata('baton-slo.yaml').replace('target: 0.99', 'target: 0.995');
    const { results, warnings } = await apply(
      { 'slos/web.yaml': changed, 'openslo.yaml': openslo },
      { dryRun: true },
    );
    const web = results.find((result) => result.kind === 'SLO' && result.scope === 'web')!;
    expect(web.action).toBe('updated');
    expect(web.diff).toMatch(/-\s+- target: 0.99\n\+\s+- target: 0.995/);
    expect(warnings.map((warning) => warning.path)).toContain('[6].spec.objectives[0].op');
    expect(await storedRows()).toEqual(before);
  });
});

describe.each(DIALECTS)('who may apply SLO documents, and Sloth queries, on %s', (dialect) => {
  let baton: TestBaton;
  let alice: Principal;
  let bob: Principal;
  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    alice = (await baton.addUser('alice')).principal;
    bob = (await baton.addUser('bob')).principal;
    await baton.applyYaml(CATALOG, 'catalog.yaml');
  }, 60_000);
  afterAll(async () => baton?.stop());

  it("lets the service's owning team apply its SLOs, and nobody else", async () => {
    const files = [{ name: 'web.yaml', content: testdata('baton-slo.yaml') }];
    await expect(baton.apply.apply({ files }, bob)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await baton.apply.apply({ files }, alice)).map((result) => result.action)).toEqual(['created']);
    // Shared OpenSLO documents need edit on system.
    const sli = `apiVersion: openslo/v1
kind: SLI
metadata: {name: pushed}
spec:
  ratioMetric:
    good: {metricSource: {type: Pushed}}
    total: {metricSource: {type: Pushed}}
`;
    await expect(
      baton.apply.apply({ files: [{ name: 'sli.yaml', content: sli }] }, alice),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('does not hold an apply to account for what was wrong with the stored documents before it', async () => {
    // Written straight to the table, as a document stored before a rule existed would be.
    const orphan = testdata('baton-slo.yaml').replace('service: web', 'service: gone');
    await saveSloDocument(
      baton.db,
      { apiVersion: 'baton/v1', kind: 'SLO', name: 'gone/restarts-succeed' },
      { document: parse(orphan), source: orphan, digest: 'x', actor: 'test', now: 0 },
    );
    const onApi = testdata('baton-slo.yaml').replace('service: web', 'service: api');
    const { results } = await baton.apply.applyWithWarnings(
      { files: [{ name: 'api.yaml', content: onApi }] },
      admin,
    );
    expect(results.map((result) => `${result.scope}/${result.name} ${result.action}`)).toEqual([
      'api/restarts-succeed created',
    ]);
  });

  it('checks Sloth queries against the default Prometheus, and warns when it is unreachable', async () => {
    const prometheus = await startPrometheus();
    try {
      const apply = new ApplyService(baton.db, () => undefined);
      apply.register(serviceKind);
      registerSloDocuments(apply, { defaultPrometheusUrl: prometheus.url });
      const sloth = testdata('sloth.yaml');
      const ok = await apply.applyWithWarnings(
        { files: [{ name: 'sloth.yaml', content: sloth }], dryRun: true },
        admin,
      );
      // The queries parsed; what is left to say is that the owner label names no team.
      expect(ok.warnings).toEqual([
        expect.objectContaining({
          path: 'labels.owner',
          message: 'service myservice is owned by team myteam, which does not exist',
        }),
      ]);
      const broken = sloth.replace('{job="myservice"}[{{.window}}]))\n', '{job="myservice"}[{{.window}}])\n');
      const error = await apply
        .applyWithWarnings({ files: [{ name: 'sloth.yaml', content: broken }], dryRun: true }, admin)
        .catch((caught: unknown) => caught);
      expect((error as InputError).problems).toEqual([
        expect.objectContaining({
          path: 'slos[0].sli.events.total_query',
          message: expect.stringContaining('parse error'),
        }),
      ]);

      const down = new ApplyService(baton.db, () => undefined);
      down.register(serviceKind);
      const url = `http://127.0.0.1:${await freePort()}`;
      registerSloDocuments(down, { defaultPrometheusUrl: url });
      const unchecked = await down.applyWithWarnings(
        { files: [{ name: 'sloth.yaml', content: sloth }], dryRun: true },
        admin,
      );
      expect(unchecked.warnings).toEqual([
        expect.objectContaining({ path: 'labels.owner' }),
        expect.objectContaining({
          path: 'slos[0].sli.events.error_query',
          message: expect.stringContaining(`not checked: Prometheus at ${url} unreachable`),
        }),
        expect.objectContaining({ path: 'slos[0].sli.events.total_query' }),
      ]);
    } finally {
      await prometheus.stop();
    }
  });
});
