/**
 * The cost of delegation on the hot read path: `GET /api/v1/executions?limit=50` as a user whose
 * view is decided by policies, against the same listing as the administrator, who needs no policy
 * evaluation. 5,000 finished executions of 20 jobs in two projects, 100 policies of which a
 * handful concern the user (a team's project, a label selector, denials of single jobs, one job of
 * her own) and the rest name other users and teams, as a grown installation has them.
 *
 * The first page and a deep page (`before=` an id near the oldest the user may see) are timed,
 * the two callers interleaved. Beside them, `AccessControl.authorize` alone is timed against the
 * same loop calling a trivial function, for information: what one decision costs.
 */
import { performance } from 'node:perf_hooks';
import { insertToken } from '../src/access/store.js';
import { generateToken, hashToken, tokenPrefix } from '../src/access/tokens.js';
import { resources, type Action, type Decision, type Principal, type Resource } from '../src/access/model.js';
import { getJob } from '../src/automation/jobs/store.js';
import type { Job } from '../src/automation/jobs/model.js';
import type { Db } from '../src/platform/db/database.js';
import {
  ADMIN,
  ApiClient,
  compare,
  interleave,
  median,
  percentile,
  printTable,
  progress,
  startInProcessServer,
  type Comparison,
} from './harness.js';

const EXECUTIONS = Number(process.env.BENCH_ACCESS_EXECUTIONS ?? 5000);
const SAMPLES = Number(process.env.BENCH_ACCESS_SAMPLES ?? 200);
const WARMUP = 30;
const PAGE = 50;
/** Decisions per timed round of the authorize loop, and rounds of it (interleaved with the baseline). */
const DECISIONS = 10_000;
const DECISION_ROUNDS = 15;
/** Other people and teams the policies that do not concern alice name. */
const OTHER_USERS = 40;
const OTHER_TEAMS = 12;
const POLICIES = 100;

/** Ten jobs per project, with labels the policies select on. */
const JOBS: readonly { project: string; name: string; labels: Record<string, string> }[] = [
  ...[
    ['restart-web', 'web', 'high'],
    ['deploy-web', 'web', 'high'],
    ['purge-cache', 'cdn', 'low'],
    ['disk-report', 'host', 'low'],
    ['rotate-certs', 'host', 'low'],
    ['patch-hosts', 'host', 'high'],
    ['backup-db', 'db', 'low'],
    ['vacuum-db', 'db', 'low'],
    ['failover-db', 'db', 'high'],
    ['renew-dns', 'net', 'low'],
  ].map(([name, tier, risk]) => ({ project: 'ops', name: name!, labels: { tier: tier!, risk: risk! } })),
  ...[
    ['settle-batch', 'ledger', 'high'],
    ['refund', 'ledger', 'high'],
    ['reconcile', 'ledger', 'low'],
    ['export-ledger', 'ledger', 'low'],
    ['fraud-scan', 'risk', 'low'],
    ['payout', 'ledger', 'high'],
    ['invoice-run', 'billing', 'low'],
    ['chargeback-sync', 'risk', 'low'],
    ['fx-rates', 'billing', 'low'],
    ['wipe-test-data', 'billing', 'high'],
  ].map(([name, tier, risk]) => ({ project: 'payments', name: name!, labels: { tier: tier!, risk: risk! } })),
];

function jobsYaml(): string {
  return JOBS.map(
    (job) => `---
apiVersion: baton/v1
kind: Job
metadata:
  name: ${job.name}
  project: ${job.project}
  labels: { tier: ${job.labels.tier}, risk: ${job.labels.risk} }
spec:
  steps:
    - name: main
      script: echo ${job.name}
`,
  ).join('');
}

const otherUser = (index: number) => `dev-${String(index % OTHER_USERS).padStart(2, '0')}`;
const otherTeam = (index: number) => `team-${String(index % OTHER_TEAMS).padStart(2, '0')}`;

function teamsYaml(): string {
  const team = (name: string, members: string[], maintainers: string[]) => `---
apiVersion: baton/v1
kind: Team
metadata: { name: ${name} }
spec: { members: [${members.join(', ')}], maintainers: [${maintainers.join(', ')}] }
`;
  return [
    team('payments', ['alice', otherUser(1), otherUser(2)], [otherUser(1)]),
    team('oncall', ['alice', otherUser(3)], []),
    ...Array.from({ length: OTHER_TEAMS }, (_, index) =>
      team(
        otherTeam(index),
        [otherUser(index * 3), otherUser(index * 3 + 1), otherUser(index * 3 + 2)],
        [otherUser(index * 3)],
      ),
    ),
  ].join('');
}

function policy(name: string, rules: string): string {
  return `---
apiVersion: baton/v1
kind: Policy
metadata: { name: ${name} }
spec:
  rules:
${rules}`;
}

function rule(
  subjects: string[],
  actions: string[],
  resourceList: string[],
  effect: 'allow' | 'deny',
): string {
  return `    - subjects: [${subjects.join(', ')}]
      actions: [${actions.join(', ')}]
      resources: [${resourceList.join(', ')}]
      effect: ${effect}
`;
}

/** The policies that concern alice: five, through her teams and her name. */
const ALICE_POLICIES = [
  policy(
    'payments-work',
    rule(['team/payments'], ['view', 'run', 'read-logs'], ['project/payments'], 'allow') +
      rule(['team/payments#maintainers'], ['edit'], ['project/payments'], 'allow'),
  ),
  policy(
    'payments-hands-off',
    rule(['team/payments'], ['view'], ['job/payments/wipe-test-data'], 'deny') +
      rule(['team/payments'], ['view'], ['job/payments/payout'], 'deny') +
      rule(['team/payments'], ['run'], ['job/payments/settle-batch'], 'deny'),
  ),
  policy(
    'oncall-web',
    rule(['team/oncall'], ['view', 'read-logs'], ['{job: "ops/*", labels: {tier: web}}'], 'allow'),
  ),
  policy('alice-disk-report', rule(['user/alice'], ['view', 'run'], ['job/ops/disk-report'], 'allow')),
  policy('alice-no-ops-runs', rule(['user/alice'], ['run', 'edit'], ['project/ops'], 'deny')),
];

/** Policies naming only others, of the shapes people write: projects, globs, labels, denials. */
function otherPolicy(index: number): string {
  const user = `user/${otherUser(index)}`;
  const team = `team/${otherTeam(index)}`;
  const project = index % 2 === 0 ? 'ops' : 'payments';
  const job = JOBS[index % JOBS.length]!;
  const name = `policy-${String(index).padStart(3, '0')}`;
  switch (index % 5) {
    case 0:
      return policy(name, rule([team], ['view', 'run', 'read-logs'], [`project/${project}`], 'allow'));
    case 1:
      return policy(
        name,
        rule([user], ['view', 'run'], [`job/${job.project}/${job.name}`], 'allow') +
          rule([user], ['edit'], [`job/${job.project}/*`], 'deny'),
      );
    case 2:
      return policy(
        name,
        rule(
          [team, `${team}#maintainers`],
          ['view', 'read-logs'],
          [`{job: "${project}/*", labels: {tier: ${job.labels.tier}}}`],
          'allow',
        ) + rule([`${team}#maintainers`], ['approve'], [`job/${project}/*`], 'allow'),
      );
    case 3:
      return policy(
        name,
        rule([user, `user/${otherUser(index + 7)}`], ['view'], [`job/${project}/*`], 'allow') +
          rule([user], ['view'], [`job/${job.project}/${job.name}`], 'deny') +
          rule([user], ['view'], [`secret/${project}/*`], 'allow'),
      );
    default:
      return policy(
        name,
        rule([team], ['"*"'], [`{job: "*/*", labels: {risk: low}}`], 'allow') +
          rule([team], ['run'], [`{job: "*/*", labels: {risk: high}}`], 'deny'),
      );
  }
}

function policiesYaml(): string {
  const others = Array.from({ length: POLICIES - ALICE_POLICIES.length }, (_, index) => otherPolicy(index));
  return [...ALICE_POLICIES, ...others].join('');
}

async function addUser(db: Db, name: string): Promise<number> {
  const { id } = await db
    .insertInto('users')
    .values({ name, kind: 'user', is_admin: 0, created_at: Date.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Rows per INSERT: 500 executions of 20 columns stay well under SQLite's variable limit. */
const BULK_ROWS = 500;

/**
 * Finished executions of the jobs, spread over them by a fixed pseudo-random sequence, inserted
 * directly (running them would take the whole benchmark and measure something else).
 */
async function insertExecutions(db: Db, jobs: readonly Job[], count: number): Promise<void> {
  // mulberry32: the same spread on every run, without Math.random.
  let seed = 12345;
  const random = (below: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * below);
  };
  const started = Date.now() - count * 60_000;
  for (let done = 0; done < count; done += BULK_ROWS) {
    const rows = Array.from({ length: Math.min(BULK_ROWS, count - done) }, (_, offset) => {
      const job = jobs[random(jobs.length)]!;
      const at = started + (done + offset) * 60_000;
      const failed = random(10) === 0;
      return {
        job_id: job.id,
        project: job.project,
        job_name: job.name,
        job_revision: job.revision,
        spec: JSON.stringify(job.spec),
        options: '{}',
        requested_by: 'admin',
        state: failed ? 'failed' : 'succeeded',
        queued_at: at,
        run_after: at,
        started_at: at + 5,
        finished_at: at + 500,
        exit_code: failed ? 1 : 0,
        reason: failed ? 'step main exited with 1' : null,
      };
    });
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('executions').values(rows).execute();
    });
  }
}

interface Page {
  executions: { id: number; project: string; job: string }[];
  next: number | null;
}

export interface AccessResult {
  executions: number;
  jobs: number;
  policies: number;
  aliceVisible: number;
  samples: number;
  deepBefore: number;
  adminMedianMs: number;
  adminP90Ms: number;
  aliceMedianMs: number;
  aliceP90Ms: number;
  ratio: number;
  ratioP90: number;
  deepAdminMedianMs: number;
  deepAdminP90Ms: number;
  deepAliceMedianMs: number;
  deepAliceP90Ms: number;
  deepRatio: number;
  deepRatioP90: number;
  authorizePerSecond: number;
  baselineCallsPerSecond: number;
  comparisons: Comparison[];
}

export async function benchAccess(): Promise<AccessResult> {
  const server = await startInProcessServer({ embeddedWorker: false });
  const { baton } = server;
  const apply = async (name: string, content: string) => {
    await baton.apply.apply({ files: [{ name, content }] }, ADMIN);
  };
  try {
    progress(`access: ${JOBS.length} jobs, ${POLICIES} policies, ${EXECUTIONS} executions`);
    await apply('jobs.yaml', jobsYaml());
    const jobs = await Promise.all(JOBS.map(async (job) => (await getJob(baton.db, job.project, job.name))!));

    const aliceId = await addUser(baton.db, 'alice');
    for (let index = 0; index < OTHER_USERS; index++) await addUser(baton.db, otherUser(index));
    const aliceToken = generateToken();
    await insertToken(baton.db, {
      userId: aliceId,
      name: 'bench',
      prefix: tokenPrefix(aliceToken),
      hash: hashToken(aliceToken),
      now: Date.now(),
    });
    const alice: Principal = { kind: 'user', id: aliceId, name: 'alice', isAdmin: false, via: 'token' };
    await apply('teams.yaml', teamsYaml());
    await apply('policies.yaml', policiesYaml());
    await baton.access.refresh();

    await insertExecutions(baton.db, jobs, EXECUTIONS);

    // What alice may view, decided here once to check the listing and to pick the deep page.
    const viewable = new Set(
      jobs
        .filter((job) => baton.access.authorize(alice, 'view', resources.job(job.project, job.name)).allowed)
        .map((job) => `${job.project}/${job.name}`),
    );
    const rows = await baton.db
      .selectFrom('executions')
      .select(['id', 'project', 'job_name'])
      .orderBy('id')
      .execute();
    const visibleIds = rows
      .filter((row) => viewable.has(`${row.project}/${row.job_name}`))
      .map((row) => row.id);
    // A full page remains below it, and little else: the deep end of what alice can page to.
    const deepBefore = visibleIds[Math.min(visibleIds.length - 1, PAGE + 10)]!;

    const adminApi = new ApiClient(server.url, server.token);
    const aliceApi = new ApiClient(server.url, aliceToken);
    const firstRoute = `/api/v1/executions?limit=${PAGE}`;
    const deepRoute = `${firstRoute}&before=${deepBefore}`;

    // The listing alice gets is the one her policies allow, or the figures would mean nothing.
    const alicePage = await aliceApi.request<Page>('GET', firstRoute);
    const expected = visibleIds.slice(-PAGE).reverse();
    if (alicePage.executions.map((execution) => execution.id).join() !== expected.join()) {
      throw new Error("alice's first page is not the newest executions her policies let her view");
    }
    const aliceDeep = await aliceApi.request<Page>('GET', deepRoute);
    if (aliceDeep.executions.length !== PAGE) {
      throw new Error(`alice's deep page holds ${aliceDeep.executions.length} executions, not ${PAGE}`);
    }

    const timed = (api: ApiClient, route: string) => async () => {
      const started = performance.now();
      const page = await api.request<Page>('GET', route);
      const ms = performance.now() - started;
      if (page.executions.length !== PAGE) throw new Error(`GET ${route} returned ${page.executions.length}`);
      return ms;
    };

    progress(
      `access: ${WARMUP} warm-up rounds, then ${SAMPLES} interleaved samples each, first and deep page`,
    );
    await interleave(WARMUP, timed(adminApi, firstRoute), timed(aliceApi, firstRoute));
    await interleave(WARMUP, timed(adminApi, deepRoute), timed(aliceApi, deepRoute));
    const first = await interleave(SAMPLES, timed(adminApi, firstRoute), timed(aliceApi, firstRoute));
    const deep = await interleave(SAMPLES, timed(adminApi, deepRoute), timed(aliceApi, deepRoute));

    // One decision alone, over the jobs and the actions a user asks about, against the same loop
    // calling a function that decides nothing.
    const requests: { action: Action; resource: Resource }[] = jobs.flatMap((job) =>
      (['view', 'run', 'read-logs'] as const).map((action) => ({
        action,
        resource: resources.job(job.project, job.name),
      })),
    );
    const trivial = (_principal: Principal, _action: Action, resource: Resource): Decision => ({
      allowed: typeof resource === 'string',
      reason: '',
      rules: [],
    });
    const authorize = (principal: Principal, action: Action, resource: Resource) =>
      baton.access.authorize(principal, action, resource);
    let allowed = 0;
    const decide = (fn: typeof trivial) => () => {
      const started = performance.now();
      for (let index = 0; index < DECISIONS; index++) {
        const request = requests[index % requests.length]!;
        if (fn(alice, request.action, request.resource).allowed) allowed++;
      }
      return Promise.resolve(((performance.now() - started) * 1e6) / DECISIONS);
    };
    await interleave(3, decide(trivial), decide(authorize));
    const decisions = await interleave(DECISION_ROUNDS, decide(trivial), decide(authorize));
    if (allowed === 0) throw new Error('no decision allowed anything');

    const result = {
      executions: EXECUTIONS,
      jobs: JOBS.length,
      policies: POLICIES,
      aliceVisible: visibleIds.length,
      samples: SAMPLES,
      deepBefore,
      adminMedianMs: median(first.a),
      adminP90Ms: percentile(first.a, 90),
      aliceMedianMs: median(first.b),
      aliceP90Ms: percentile(first.b, 90),
      deepAdminMedianMs: median(deep.a),
      deepAdminP90Ms: percentile(deep.a, 90),
      deepAliceMedianMs: median(deep.b),
      deepAliceP90Ms: percentile(deep.b, 90),
      authorizePerSecond: 1e9 / median(decisions.b),
      baselineCallsPerSecond: 1e9 / median(decisions.a),
    };
    const target = { op: '<=', value: 2 } as const;
    const comparisons = [
      compare('first page, median', 'ms', result.adminMedianMs, result.aliceMedianMs, target),
      compare('first page, p90', 'ms', result.adminP90Ms, result.aliceP90Ms),
      compare('deep page, median', 'ms', result.deepAdminMedianMs, result.deepAliceMedianMs, target),
      compare('deep page, p90', 'ms', result.deepAdminP90Ms, result.deepAliceP90Ms),
      compare('one authorize decision', 'ns', median(decisions.a), median(decisions.b)),
    ];
    printTable(
      'Access: listing executions as a user decided by policies vs as the administrator',
      comparisons,
      [
        `GET /api/v1/executions?limit=${PAGE} over HTTP, ${SAMPLES} samples each, interleaved; baseline = the admin,` +
          ' Baton = alice',
        `${EXECUTIONS} executions of ${JOBS.length} jobs in ops and payments; ${POLICIES} policies, ` +
          `${ALICE_POLICIES.length} of them concern alice; she may view ${visibleIds.length} ` +
          `(${((visibleIds.length / EXECUTIONS) * 100).toFixed(0)}%)`,
        `deep page: before=${deepBefore}, ${PAGE + 10} of alice's executions from the oldest`,
        `authorize: ${DECISIONS} decisions for alice per round, ${DECISION_ROUNDS} rounds, over ${requests.length}` +
          ` job/action pairs; baseline = the same loop calling a trivial function (for information)`,
        `  ${Math.round(result.authorizePerSecond).toLocaleString('en')} decisions/s vs ` +
          `${Math.round(result.baselineCallsPerSecond).toLocaleString('en')} trivial calls/s`,
      ],
    );
    return {
      ...result,
      ratio: comparisons[0]!.ratio,
      ratioP90: comparisons[1]!.ratio,
      deepRatio: comparisons[2]!.ratio,
      deepRatioP90: comparisons[3]!.ratio,
      comparisons,
    };
  } finally {
    await server.stop();
  }
}
