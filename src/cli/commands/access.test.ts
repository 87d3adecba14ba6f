/**
 * `baton policy test`, `baton teams` and `baton services` as a user runs them: the compiled CLI
 * against a real Baton. The answer of `policy test` is both printed and the exit code, so a
 * script can ask "may alice run this?" and branch.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';

const DOCUMENTS = `apiVersion: baton/v1
kind: Team
metadata: {name: payments}
spec: {members: [alice], maintainers: [bob]}
---
apiVersion: baton/v1
kind: Service
metadata: {name: checkout}
spec: {owner: payments, lifecycle: production}
---
apiVersion: baton/v1
kind: Policy
metadata: {name: payments-self-service}
spec:
  rules:
    - {subjects: [team/payments], actions: [view, run, read-logs], resources: [job/ops/restart-web], effect: allow}
    - {subjects: [team/payments], actions: [run], resources: [job/ops/drop-database], effect: deny}
`;

let server: CliServer;

beforeAll(async () => {
  server = await startCliServer({ config: { embeddedWorker: false } });
  for (const name of ['alice', 'bob']) expect((await server.cli(['users', 'create', name])).code).toBe(0);
  await fs.writeFile(path.join(server.work, 'access.yaml'), DOCUMENTS);
  const applied = await server.cli(['apply', '-f', 'access.yaml']);
  expect(applied.stderr).toBe('');
  expect(applied.stdout).toBe(
    'team payments created\nservice checkout created\npolicy payments-self-service created\n',
  );
});

afterAll(async () => {
  await server?.stop();
});

describe('baton policy test', () => {
  it('answers allowed with exit 0 and names the rule', async () => {
    const result = await server.cli(['policy', 'test', '--as', 'alice', 'run', 'ops/restart-web']);
    expect(result).toEqual({
      code: 0,
      stdout:
        'allowed: policy/payments-self-service#1 allows user/alice run on job/ops/restart-web\n' +
        '  allow policy/payments-self-service#1: team/payments run job/ops/restart-web\n',
      stderr: '',
    });
  });

  it('answers denied with exit 1, deny winning', async () => {
    const result = await server.cli(['policy', 'test', '--as', 'alice', 'run', 'ops/drop-database']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(
      'denied: policy/payments-self-service#2 denies user/alice run on job/ops/drop-database\n' +
        '  deny policy/payments-self-service#2: team/payments run job/ops/drop-database\n',
    );
    expect(result.stderr).toBe('');
    const nothing = await server.cli(['policy', 'test', '--as', 'bob', 'view', 'project/ops']);
    expect(nothing.stdout).toBe('denied: no rule allows user/bob view on project/ops\n');
  });

  it('refuses an unknown action, user or malformed resource with a one-line error', async () => {
    const action = await server.cli(['policy', 'test', 'execute', 'ops/x']);
    expect(action.code).toBe(2);
    expect(action.stderr).toBe(
      'baton: unknown action "execute": use one of view, run, read-logs, edit, approve, admin, override-budget\n',
    );
    const user = await server.cli(['policy', 'test', '--as', 'nobody', 'run', 'ops/x']);
    expect(user.code).toBe(4);
    expect(user.stderr).toBe('baton: no user or service account named "nobody"\n');
    const resource = await server.cli(['policy', 'test', 'run', 'job/../../etc']);
    expect(resource.code).toBe(2);
    expect(resource.stderr).toMatch(/^baton: invalid resource "job\/\.\.\/\.\.\/etc"\n/);
  });
});

describe('baton teams and services', () => {
  it('lists teams with maintainers and members, and the catalog', async () => {
    const teams = await server.cli(['teams']);
    expect(teams.code).toBe(0);
    expect(teams.stdout).toMatch(/^TEAM\s+MAINTAINERS\s+MEMBERS\npayments\s+bob\s+alice\n$/);
    const services = await server.cli(['services', '--output', 'json']);
    expect(JSON.parse(services.stdout)).toEqual({
      services: [expect.objectContaining({ name: 'checkout', owner: 'payments', lifecycle: 'production' })],
    });
  });
});
