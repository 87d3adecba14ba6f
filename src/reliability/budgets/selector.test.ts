/**
 * Error-budget policies that cover services by label, on a real Baton (both databases): a change
 * to a service whose labels a policy's selector matches is refused when its budget is spent, one
 * to an unlabelled service is not; two selectors matching one service are refused at apply,
 * whether the second policy or the Service's labels come last. Statuses are put straight in the
 * store: the evaluation that computes them is tested on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBaton, type TestBaton } from '../../../test/baton.js';
import { DIALECTS } from '../../../test/databases.js';
import type { SloStatus } from '../../contract/slos.js';
import { InputError } from '../../platform/errors.js';
import { putSloStatus } from '../slos/store.js';
import { gateStates } from './state.js';

const SERVICES = `apiVersion: baton/v1
kind: Service
metadata: {name: ledger, labels: {tier: critical}}
spec: {owner: payments, lifecycle: production}
---
apiVersion: baton/v1
kind: Service
metadata: {name: wiki}
spec: {owner: payments, lifecycle: production}
`;

const DOCUMENTS = `apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [carol]}
---
${SERVICES}---
apiVersion: baton/v1
kind: Policy
metadata: {name: shop-people}
spec:
  rules:
    - {subjects: [user/bob], actions: [run], resources: [project/shop], effect: allow}
---
apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: critical-budget}
spec:
  selector: {matchLabels: {tier: critical}}
  rules:
    - {when: {budgetExhausted: true}, then: refuse}
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy-ledger, project: shop}
spec:
  service: ledger
  purpose: change
  steps: [{name: ship, command: [echo, shipped]}]
---
apiVersion: baton/v1
kind: Job
metadata: {name: deploy-wiki, project: shop}
spec:
  service: wiki
  purpose: change
  steps: [{name: ship, command: [echo, shipped]}]
`;

const HOUR = 3_600_000;
const ADMIN = { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'internal' } as const;

/** An SLO of `service` whose error budget is spent. */
function exhausted(service: string, now: number): SloStatus {
  return {
    slo: `${service}/availability`,
    service,
    name: 'availability',
    displayName: null,
    description: null,
    format: 'baton/v1',
    project: null,
    window: '30d rolling',
    periodStart: new Date(now - 720 * HOUR).toISOString(),
    periodEnd: new Date(now).toISOString(),
    budgetingMethod: 'Occurrences',
    source: 'pushed',
    objectives: [],
    sli: 0.98,
    budgetRemainingRatio: -0.5,
    burnRates: [{ window: '1h', rate: 3 }],
    timeToExhaustionMs: null,
    health: 'exhausted',
    openAlerts: [],
    noDataSince: null,
    lastError: null,
    evaluatedAt: new Date(now).toISOString(),
  };
}

describe.each(DIALECTS)('error-budget policies by label on %s', (dialect) => {
  let baton: TestBaton;
  let bob: Record<string, string>;

  /** The problems of an apply that must fail, as `file:line:column path: message`. */
  const refusal = async (content: string) => {
    const error = await baton.apply.apply({ files: [{ name: 'more.yaml', content }] }, ADMIN).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems.map(
      (problem) => `${problem.file}:${problem.line}:${problem.column} ${problem.path}: ${problem.message}`,
    );
  };

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: true });
    bob = (await baton.addUser('bob')).headers;
    await baton.addUser('carol');
    await baton.applyYaml(DOCUMENTS);
    const now = Date.now();
    await putSloStatus(baton.db, exhausted('ledger', now), now);
    await putSloStatus(baton.db, exhausted('wiki', now), now);
  });
  afterAll(() => baton?.stop());

  it('shows the labels in the catalog and keeps an unlabelled service unchanged on re-apply', async () => {
    const { services } = (await baton.request('GET', '/api/v1/services')).json();
    expect(services).toEqual([
      expect.objectContaining({ name: 'ledger', labels: { tier: 'critical' } }),
      expect.objectContaining({ name: 'wiki', labels: {} }),
    ]);
    const again = await baton.apply.apply({ files: [{ name: 'services.yaml', content: SERVICES }] }, ADMIN);
    expect(again.map((result) => `${result.name} ${result.action}`)).toEqual([
      'ledger unchanged',
      'wiki unchanged',
    ]);
  });

  it('refuses a change to a labelled service its selector covers, and not one to an unlabelled service', async () => {
    const ledger = await baton.request('POST', '/api/v1/jobs/shop/deploy-ledger/executions', {}, bob);
    expect(ledger.statusCode, ledger.body).toBe(409);
    expect(ledger.json().error.message).toMatch(
      /^change shop\/deploy-ledger refused by error budget policy critical-budget rule 1 \(budget exhausted → refuse\)/,
    );
    const wiki = await baton.request('POST', '/api/v1/jobs/shop/deploy-wiki/executions', {}, bob);
    expect(wiki.statusCode, wiki.body).toBe(201);

    const states = await gateStates(baton.db, ['ledger', 'wiki'], Date.now());
    expect(states.get('ledger')).toMatchObject({ state: 'frozen', policy: 'critical-budget' });
    expect(states.get('wiki')).toMatchObject({ state: 'open', policy: null });

    const check = await baton.request('POST', '/api/v1/budget/check', { service: 'ledger' });
    expect(check.json()).toMatchObject({ decision: 'refuse', policy: 'critical-budget' });
  });

  it('refuses a second selector matching a service, at its selector', async () => {
    const problems = await refusal(`apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: also-critical}
spec:
  selector: {matchLabels: {tier: critical}}
  rules:
    - {when: {budgetExhausted: true}, then: refuse}
`);
    expect(problems).toEqual([
      'more.yaml:5:13 spec.selector: service ledger is matched by the selectors of error budget policies ' +
        "critical-budget and also-critical; a service has one policy (name it in one policy's spec.services, or change the labels)",
    ]);
  });

  it('refuses a Service whose new labels two selectors match, at its labels', async () => {
    await baton.applyYaml(`apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: eu-budget}
spec:
  selector: {matchLabels: {region: eu}}
  rules:
    - {when: {budgetExhausted: true}, then: refuse}
`);
    const problems = await refusal(`apiVersion: baton/v1
kind: Service
metadata:
  name: wiki
  labels: {tier: critical, region: eu}
spec: {owner: payments, lifecycle: production}
`);
    expect(problems).toEqual([
      'more.yaml:5:11 metadata.labels: service wiki is matched by the selectors of error budget policies ' +
        "critical-budget and eu-budget; a service has one policy (name it in one policy's spec.services, or change the labels)",
    ]);
    // Naming the service in a policy settles it: a named policy outranks both selectors.
    await baton.applyYaml(`apiVersion: baton/v1
kind: ErrorBudgetPolicy
metadata: {name: wiki-budget}
spec:
  services: [wiki]
  rules:
    - {when: {budgetExhausted: true}, then: approve}
`);
    await baton.applyYaml(`apiVersion: baton/v1
kind: Service
metadata: {name: ledger, labels: {tier: critical}}
spec: {owner: payments, lifecycle: production}
`);
    expect((await gateStates(baton.db, ['wiki'], Date.now())).get('wiki')).toMatchObject({
      state: 'approval',
      policy: 'wiki-budget',
    });
  });
});
