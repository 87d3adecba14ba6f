/**
 * Which vitest project each test file runs in, by what the file needs, so that a unit run starts
 * in seconds and only the tests that need the build wait for it:
 * - `unit`: pure code (and temporary files). No database, no process, no dist/.
 * - `integration`: real SQLite and PostgreSQL (test/databases.ts), an in-process Baton
 *   (test/baton.ts), real step processes and sshd. Still no dist/.
 * - `system`: Baton as users run it, through bin/baton.js (test/cli-harness.ts, test/processes.ts),
 *   and Chromium against the built web UI (test/e2e/). The only project whose global setup builds
 *   dist/ (test/global-setup.ts).
 * A file belongs to exactly the project that provides what it needs; test/projects.test.ts reads
 * every test file and fails if one sits in a project that lacks something it uses.
 */

/** Every test file of the repository, whatever its project. */
export const ALL_TESTS = ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'];

/** Files that run bin/baton.js or load dist/web. */
export const SYSTEM_TESTS = [
  'test/{cli,crash-recovery,first-start,scale-out,schedules-scale-out}.test.ts',
  'test/e2e/*.test.ts',
  'src/cli/**/*.test.ts',
  'src/automation/nodes/remote-orphans.test.ts',
];

/** Files that open a database or start processes, but need no build. */
export const INTEGRATION_TESTS = [
  'src/access/audit/audit.test.ts',
  'src/access/authorization-matrix.test.ts',
  'src/access/policies/delegation.test.ts',
  'src/access/secrets/secrets.test.ts',
  'src/access/sign-in/cleanup.test.ts',
  'src/access/sign-in/oidc.test.ts',
  'src/access/sign-in/sign-in.test.ts',
  'src/access/tokens/tokens.test.ts',
  'src/access/users/users.test.ts',
  'src/automation/approvals/approvals.test.ts',
  'src/automation/events/events.test.ts',
  'src/automation/jobs/catalog.test.ts',
  'src/automation/logs/{follow,reader,routes,search,writer}.test.ts',
  'src/automation/nodes/{nodes,sources}.test.ts',
  'src/automation/notifications/notifications.test.ts',
  'src/automation/runner/{command,orphans,process-tree}.test.ts',
  'src/automation/schedules/schedules.test.ts',
  'src/automation/secrets/delivery.test.ts',
  'src/automation/worker/*.test.ts',
  'src/insights/usage/routes.test.ts',
  'src/platform/db/*.test.ts',
  'src/platform/documents/*.test.ts',
  'src/platform/http/{api,openapi,refused-input}.test.ts',
  'src/reliability/slos/alerts.test.ts',
  'src/reliability/budgets/gate.test.ts',
  'src/reliability/budgets/selector.test.ts',
  'src/reliability/slos/prometheus-rules.test.ts',
  'src/reliability/slos/routes.test.ts',
  'src/reliability/slos/change-cost.test.ts',
  'src/reliability/slos/promql-check.test.ts',
  'src/reliability/slos/apply.test.ts',
  'src/reliability/slos/{end-to-end,evaluation,prometheus}.test.ts',
  'test/alerts.test.ts',
];

/**
 * What a test file's source says it needs, from the helpers it imports and the things it starts.
 * Imports of the helpers are what count: a helper that needs the build says so here once.
 */
export function testNeeds(source: string): 'unit' | 'integration' | 'system' {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const helper = (names: string) => new RegExp(`(test|\\.)/(${names})\\.js'`).test(code);
  if (helper('cli-harness|processes|harness') || /bin\/baton|['"/]dist\//.test(code)) return 'system';
  if (
    helper('baton|databases|sshd|prometheus-server') ||
    /node:child_process|process-tree\.js|from 'pg'|better-sqlite3/.test(code)
  ) {
    return 'integration';
  }
  return 'unit';
}

/** The variable the system project sets, after its global setup has built dist/ for this run. */
export const BUILT_FOR_THIS_RUN = 'BATON_TEST_DIST_BUILT';

/**
 * Fails at once, saying why, when a helper that runs the build is used outside the system
 * project: there dist/ is missing on a clean clone, or (worse) left over from an older run.
 * It catches what test/projects.test.ts cannot see: a helper reached through another helper.
 */
export function assertBuiltForThisRun(helper: string): void {
  if (process.env[BUILT_FOR_THIS_RUN] === '1') return;
  throw new Error(
    `${helper} runs dist/, which only the vitest project "system" builds (test/global-setup.ts); ` +
      'add this test file to SYSTEM_TESTS in test/projects.ts',
  );
}
