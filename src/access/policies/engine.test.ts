import { describe, expect, it } from 'vitest';
import type { Principal } from '../model.js';
import { resources } from '../model.js';
import { EMPTY_SNAPSHOT, evaluate, globMatches, resourceMatches, type AccessSnapshot } from './engine.js';
import { policyRule, type PolicyRule } from './model.js';

const alice: Principal = { kind: 'user', id: 2, name: 'alice', isAdmin: false, via: 'token' };
const carol: Principal = { kind: 'user', id: 3, name: 'carol', isAdmin: false, via: 'token' };
const ci: Principal = { kind: 'service', id: 4, name: 'ci', isAdmin: false, via: 'token' };
const root: Principal = { kind: 'user', id: 1, name: 'admin', isAdmin: true, via: 'token' };

function snapshot(rules: PolicyRule[], extra: Partial<AccessSnapshot> = {}): AccessSnapshot {
  return {
    ...EMPTY_SNAPSHOT,
    policies: [{ name: 'payments-self-service', rules }],
    memberships: new Map([
      ['alice', [{ team: 'payments', role: 'member' }]],
      ['carol', [{ team: 'sre', role: 'maintainer' }]],
    ]),
    ...extra,
  };
}

const selfService: PolicyRule[] = [
  {
    subjects: ['team/payments'],
    actions: ['view', 'run', 'read-logs'],
    resources: ['job/ops/restart-web', 'job/ops/diagnose-*'],
    effect: 'allow',
  },
  { subjects: ['team/payments'], actions: ['run'], resources: ['job/ops/drop-database'], effect: 'deny' },
];

describe('glob bounds in policy rules', () => {
  const rule = (subject: string, resource: string | { job: string; labels: Record<string, string> }) =>
    policyRule.safeParse({ subjects: [subject], actions: ['view'], resources: [resource], effect: 'allow' });

  it('refuses subjects, resources and label selectors with more than 8 wildcards, naming the field', () => {
    expect(rule('team/*', 'job/ops/*a*a*a*a*a*a*a').success).toBe(true);
    const resource = rule('team/*', `job/ops/${'*a'.repeat(9)}`);
    expect(resource.error?.issues[0]?.path).toEqual(['resources', 0]);
    expect(resource.error?.issues[0]?.message).toBe('must have at most 8 wildcards (*, **)');
    const subject = rule(`team/${'*a'.repeat(9)}`, 'job/ops/x');
    expect(subject.error?.issues[0]?.path).toEqual(['subjects', 0]);
    expect(subject.error?.issues[0]?.message).toBe('must have at most 8 wildcards (*, **)');
    const selector = rule('team/*', { job: `ops/${'*a'.repeat(9)}`, labels: { tier: 'web' } });
    expect(JSON.stringify(selector.error?.issues)).toContain('must have at most 8 wildcards');
    expect(rule('team/*', `secret/${'a'.repeat(300)}`).error?.issues[0]?.message).toBe(
      'must be at most 256 characters',
    );
  });
});

describe('globs', () => {
  it('match within a segment with * and across segments with **', () => {
    expect(globMatches('job/ops/diagnose-*', 'job/ops/diagnose-disk')).toBe(true);
    expect(globMatches('job/ops/diagnose-*', 'job/ops/restart-web')).toBe(false);
    expect(globMatches('secret/db/*', 'secret/db/prod/password')).toBe(false);
    expect(globMatches('secret/db/**', 'secret/db/prod/password')).toBe(true);
    // Regex characters in names are literal.
    expect(globMatches('secret/a.b', 'secret/aXb')).toBe(false);
  });

  it('let a project cover its jobs, and label selectors pick jobs by label', () => {
    expect(resourceMatches('project/ops', 'job/ops/restart')).toBe(true);
    expect(resourceMatches('project/ops', 'job/opsx/restart')).toBe(false);
    expect(resourceMatches('project/ops', 'secret/ops/x')).toBe(false);
    // …and its schedules, including those a job's spec.schedules defines.
    expect(resourceMatches('project/ops', 'schedule/ops/nightly')).toBe(true);
    expect(resourceMatches('project/o*', 'schedule/ops/backup.nightly')).toBe(true);
    expect(resourceMatches('project/ops', 'schedule/opsx/nightly')).toBe(false);
    // …and its hooks and rules.
    expect(resourceMatches('project/ops', 'hook/ops/alerts')).toBe(true);
    expect(resourceMatches('project/ops', 'rule/ops/disk-full')).toBe(true);
    expect(resourceMatches('project/ops', 'rule/opsx/disk-full')).toBe(false);
    const selector = { job: 'ops/*', labels: { tier: 'web' } };
    expect(resourceMatches(selector, { path: 'job/ops/restart', labels: { tier: 'web', x: 'y' } })).toBe(
      true,
    );
    expect(resourceMatches(selector, { path: 'job/ops/restart', labels: { tier: 'db' } })).toBe(false);
    expect(resourceMatches(selector, 'job/ops/restart')).toBe(false);
  });
});

describe('evaluate', () => {
  it('allows nothing by default', () => {
    const decision = evaluate(EMPTY_SNAPSHOT, alice, 'view', resources.job('ops', 'restart-web'));
    expect(decision).toMatchObject({ allowed: false, rules: [] });
    expect(decision.reason).toBe('no rule allows user/alice view on job/ops/restart-web');
  });

  it('allows what a rule grants a team, naming the rule', () => {
    const decision = evaluate(snapshot(selfService), alice, 'run', resources.job('ops', 'diagnose-disk'));
    expect(decision.allowed).toBe(true);
    expect(decision.rules).toEqual([
      {
        source: 'policy/payments-self-service#1',
        effect: 'allow',
        subject: 'team/payments',
        action: 'run',
        resource: 'job/ops/diagnose-*',
      },
    ]);
    expect(
      evaluate(snapshot(selfService), alice, 'edit', resources.job('ops', 'diagnose-disk')).allowed,
    ).toBe(false);
    expect(evaluate(snapshot(selfService), carol, 'run', resources.job('ops', 'diagnose-disk')).allowed).toBe(
      false,
    );
  });

  it('lets deny win over allow', () => {
    const rules: PolicyRule[] = [
      { subjects: ['team/payments'], actions: ['run'], resources: ['project/ops'], effect: 'allow' },
      ...selfService,
    ];
    const decision = evaluate(snapshot(rules), alice, 'run', resources.job('ops', 'drop-database'));
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe(
      'policy/payments-self-service#3 denies user/alice run on job/ops/drop-database',
    );
    // The deny is about running: viewing the job stays allowed.
    expect(evaluate(snapshot(rules), alice, 'view', resources.job('ops', 'drop-database')).allowed).toBe(
      true,
    );
  });

  it('treats admin as every action and every action as including view; a denied view denies all', () => {
    const rules: PolicyRule[] = [
      { subjects: ['user/alice'], actions: ['admin'], resources: ['project/ops'], effect: 'allow' },
      { subjects: ['user/alice'], actions: ['view'], resources: ['job/ops/secret-*'], effect: 'deny' },
    ];
    expect(evaluate(snapshot(rules), alice, 'approve', resources.job('ops', 'x')).allowed).toBe(true);
    expect(evaluate(snapshot(rules), alice, 'run', resources.job('ops', 'secret-rotate')).allowed).toBe(
      false,
    );
    const runOnly: PolicyRule[] = [
      { subjects: ['user/alice'], actions: ['run'], resources: ['job/ops/x'], effect: 'allow' },
    ];
    expect(evaluate(snapshot(runOnly), alice, 'view', resources.job('ops', 'x')).allowed).toBe(true);
    expect(evaluate(snapshot(runOnly), alice, 'read-logs', resources.job('ops', 'x')).allowed).toBe(false);
  });

  it('tells service accounts from users', () => {
    const rules: PolicyRule[] = [
      { subjects: ['serviceaccount/ci'], actions: ['run'], resources: ['job/*/*'], effect: 'allow' },
    ];
    expect(evaluate(snapshot(rules), ci, 'run', resources.job('ops', 'x')).allowed).toBe(true);
    const asUser: PolicyRule[] = [{ ...rules[0]!, subjects: ['user/ci'] }];
    expect(evaluate(snapshot(asUser), ci, 'run', resources.job('ops', 'x')).allowed).toBe(false);
  });

  it('matches label selectors through the labels the snapshot knows for a job', () => {
    const rules: PolicyRule[] = [
      {
        subjects: ['team/payments'],
        actions: ['run'],
        resources: [{ job: '*/*', labels: { risk: 'low' } }],
        effect: 'allow',
      },
    ];
    const labelled = snapshot(rules, {
      jobLabels: new Map([
        ['job/ops/safe', { risk: 'low' }],
        ['job/ops/risky', { risk: 'high' }],
      ]),
    });
    expect(evaluate(labelled, alice, 'run', resources.job('ops', 'safe'))).toMatchObject({
      allowed: true,
      rules: [{ resource: 'job/*/*[risk=low]' }],
    });
    expect(evaluate(labelled, alice, 'run', resources.job('ops', 'risky')).allowed).toBe(false);
  });

  it('gives a project owner team its work and its maintainers administration', () => {
    const owned = snapshot([], {
      projectOwners: new Map([['payments', 'payments']]),
      memberships: new Map([
        ['alice', [{ team: 'payments', role: 'member' }]],
        ['carol', [{ team: 'payments', role: 'maintainer' }]],
      ]),
    });
    const job = resources.job('payments', 'refund');
    expect(evaluate(owned, alice, 'edit', job)).toMatchObject({
      allowed: true,
      rules: [{ source: 'ownership of project/payments' }],
    });
    expect(evaluate(owned, alice, 'admin', job).allowed).toBe(false);
    expect(evaluate(owned, carol, 'admin', job).allowed).toBe(true);
    expect(evaluate(owned, alice, 'run', resources.job('ops', 'x')).allowed).toBe(false);
    // Deny still wins over ownership.
    const denied: AccessSnapshot = {
      ...owned,
      policies: [
        {
          name: 'freeze',
          rules: [
            {
              subjects: ['team/payments'],
              actions: ['run'],
              resources: ['project/payments'],
              effect: 'deny',
            },
          ],
        },
      ],
    };
    expect(evaluate(denied, carol, 'run', job).allowed).toBe(false);
  });

  it("lets a job's approvers see it and its logs, and nothing more", () => {
    const approvals = snapshot([], {
      memberships: new Map([['carol', [{ team: 'sre', role: 'member' }]]]),
      jobApprovers: new Map([['job/ops/release', ['team/sre']]]),
    });
    expect(evaluate(approvals, carol, 'read-logs', resources.job('ops', 'release'))).toMatchObject({
      allowed: true,
      rules: [{ source: 'approvers of job/ops/release', subject: 'team/sre' }],
    });
    expect(evaluate(approvals, carol, 'run', resources.job('ops', 'release')).allowed).toBe(false);
    expect(evaluate(approvals, carol, 'view', resources.job('ops', 'other')).allowed).toBe(false);
    expect(evaluate(approvals, alice, 'view', resources.job('ops', 'release')).allowed).toBe(false);
  });

  it('lets administrators do anything, and limits everyone by token scopes', () => {
    expect(evaluate(EMPTY_SNAPSHOT, root, 'admin', resources.system)).toMatchObject({
      allowed: true,
      reason: 'admin is an administrator',
    });
    const scoped: Principal = { ...root, scopes: [{ action: 'run', resource: 'job/ops/*' }] };
    expect(evaluate(EMPTY_SNAPSHOT, scoped, 'run', resources.job('ops', 'x')).allowed).toBe(true);
    expect(evaluate(EMPTY_SNAPSHOT, scoped, 'view', resources.job('ops', 'x')).allowed).toBe(true);
    expect(evaluate(EMPTY_SNAPSHOT, scoped, 'edit', resources.job('ops', 'x'))).toMatchObject({
      allowed: false,
      reason: "the token's scopes do not include edit on job/ops/x",
    });
    expect(evaluate(EMPTY_SNAPSHOT, scoped, 'run', resources.job('payments', 'x')).allowed).toBe(false);
    // A scope only narrows: a scoped token of a user without rights still gets nothing.
    const narrow: Principal = { ...alice, scopes: [{ action: 'run' }] };
    expect(evaluate(EMPTY_SNAPSHOT, narrow, 'run', resources.job('ops', 'x')).allowed).toBe(false);
  });
});
