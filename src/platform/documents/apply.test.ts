/**
 * `baton apply` semantics on both databases: located errors with "did you mean", all or
 * nothing, created/updated/unchanged, dry runs with diffs, prune, references and cycles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { InputError } from '../errors.js';
import { listJobs } from '../../automation/jobs/store.js';

const hello = (name: string, project = 'apply', extra = '') => `apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: ${project}}
spec:
  steps:
    - name: say
      script: echo ${name}${extra}
`;

describe.each(DIALECTS)('apply on %s', (dialect) => {
  let baton: TestBaton;
  const apply = (
    files: { name: string; content: string }[],
    options: { dryRun?: boolean; prune?: boolean } = {},
  ) => baton.apply.apply({ files, ...options }, admin);
  const problemsOf = async (promise: Promise<unknown>) => {
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  };

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
  });
  afterAll(async () => baton?.stop());

  it('says created, then unchanged, then updated with a new revision', async () => {
    const first = await apply([{ name: 'a.yaml', content: hello('first') }]);
    expect(first.map((result) => result.action)).toEqual(['created']);
    expect(
      (await apply([{ name: 'a.yaml', content: `# a comment changes nothing\n${hello('first')}` }]))[0]!
        .action,
    ).toBe('unchanged');
    expect((await apply([{ name: 'a.yaml', content: hello('first', 'apply', ' again') }]))[0]!.action).toBe(
      'updated',
    );
    const job = (await listJobs(baton.db, { project: 'apply' })).find(
      (candidate) => candidate.name === 'first',
    )!;
    expect(job.revision).toBe(2);
    expect(job.source).toContain('echo first again');
  });

  it('names file, line, column, field path and a close field name for a misspelt field', async () => {
    const content = `apiVersion: baton/v1
kind: Job
metadata: {name: typo, project: apply}
spec:
  timout: 5m
  steps:
    - name: s
      script: echo
      continueOnErorr: true
`;
    const problems = await problemsOf(apply([{ name: 'jobs/typo.yaml', content }]));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: 'jobs/typo.yaml',
          line: 5,
          column: 3,
          path: 'spec.timout',
          message: expect.stringContaining('did you mean "timeout"'),
        }),
        expect.objectContaining({
          line: 9,
          column: 7,
          path: 'spec.steps[0].continueOnErorr',
          message: expect.stringContaining('did you mean "continueOnError"'),
        }),
      ]),
    );
  });

  it('reports what was found and what was expected for a wrong value', async () => {
    const content = hello('bad').replace('steps:', 'timeout: five minutes\n  steps:');
    const [problem] = await problemsOf(apply([{ name: 'bad.yaml', content }]));
    expect(problem).toMatchObject({
      path: 'spec.timeout',
      line: 5,
      message: expect.stringContaining('duration'),
    });
  });

  it('reports YAML syntax errors with their position', async () => {
    const problems = await problemsOf(
      apply([{ name: 'broken.yaml', content: 'kind: Job\nmetadata: {name: [unclosed\n' }]),
    );
    expect(problems[0]).toMatchObject({
      file: 'broken.yaml',
      line: expect.any(Number),
      column: expect.any(Number),
    });
  });

  it('applies nothing when one document of many is invalid', async () => {
    const problems = await problemsOf(
      apply([
        { name: 'good.yaml', content: hello('would-be-created') },
        { name: 'bad.yaml', content: hello('bad-one').replace('kind: Job', 'kind: Jobb') },
      ]),
    );
    expect(problems[0]).toMatchObject({
      file: 'bad.yaml',
      path: 'kind',
      message: expect.stringContaining('did you mean "Job"'),
    });
    expect((await listJobs(baton.db)).map((job) => job.name)).not.toContain('would-be-created');
  });

  it('rejects unknown job references and cycles at apply time', async () => {
    const caller = (name: string, target: string) =>
      `apiVersion: baton/v1
kind: Job
metadata: {name: ${name}, project: refs}
spec:
  steps:
    - {name: call, job: ${target}}
`;
    const unknown = await problemsOf(apply([{ name: 'x.yaml', content: caller('x', 'refs/missing') }]));
    expect(unknown[0]).toMatchObject({
      path: 'spec.steps[0].job',
      line: 6,
      message: 'unknown job "refs/missing"',
    });

    const cycle = await problemsOf(
      apply([
        { name: 'a.yaml', content: caller('a', 'refs/b') },
        { name: 'b.yaml', content: caller('b', 'refs/c') },
        { name: 'c.yaml', content: caller('c', 'refs/a') },
      ]),
    );
    expect(cycle[0]!.message).toMatch(/cycle: refs\/\w → refs\/\w → refs\/\w → refs\/\w/);
    expect((await listJobs(baton.db, { project: 'refs' })).length).toBe(0);
  });

  it('shows a diff on a dry run and changes nothing', async () => {
    await apply([{ name: 'd.yaml', content: hello('dry') }]);
    const [result] = await apply([{ name: 'd.yaml', content: hello('dry', 'apply', ' changed') }], {
      dryRun: true,
    });
    expect(result!.action).toBe('updated');
    expect(result!.diff).toContain('-      script: echo dry');
    expect(result!.diff).toContain('+      script: echo dry changed');
    const stored = (await listJobs(baton.db, { project: 'apply' })).find((job) => job.name === 'dry')!;
    expect(stored.spec.steps[0]!.script).toBe('echo dry');
  });

  it('prunes jobs of the same project that the files no longer contain, and only those', async () => {
    await apply([
      { name: 'p.yaml', content: `${hello('keep', 'prune')}---\n${hello('drop', 'prune')}` },
      { name: 'other.yaml', content: hello('elsewhere', 'untouched') },
    ]);
    const results = await apply([{ name: 'p.yaml', content: hello('keep', 'prune') }], { prune: true });
    expect(results.map((result) => `${result.name}:${result.action}`).sort()).toEqual([
      'drop:deleted',
      'keep:unchanged',
    ]);
    expect((await listJobs(baton.db, { project: 'prune' })).map((job) => job.name)).toEqual(['keep']);
    expect((await listJobs(baton.db, { project: 'untouched' })).map((job) => job.name)).toEqual([
      'elsewhere',
    ]);
  });

  it('rejects an option default that its own type would refuse', async () => {
    const content = hello('defaults').replace(
      'steps:',
      'options:\n    - {name: depth, type: integer, min: 1, max: 5, default: 9}\n  steps:',
    );
    const [problem] = await problemsOf(apply([{ name: 'o.yaml', content }]));
    expect(problem).toMatchObject({
      path: 'spec.options[0].default',
      message: expect.stringContaining('between 1 and 5'),
    });
  });

  it('applies a file that is a YAML list of documents, locating errors inside the item', async () => {
    const list = `- apiVersion: baton/v1
  kind: Job
  metadata: {name: listed-one, project: listed}
  spec:
    steps: [{name: say, script: echo one}]
- apiVersion: baton/v1
  kind: Job
  metadata: {name: listed-two, project: listed}
  spec:
    steps:
      - name: say
        script: echo two
`;
    const results = await apply([{ name: 'list.yaml', content: list }]);
    expect(results.map((result) => `${result.name}:${result.action}`)).toEqual([
      'listed-one:created',
      'listed-two:created',
    ]);
    // Each item is stored as its own document, as if it had been written alone.
    const two = (await listJobs(baton.db, { project: 'listed' })).find((job) => job.name === 'listed-two')!;
    expect(two.source).toBe(
      'apiVersion: baton/v1\nkind: Job\nmetadata: {name: listed-two, project: listed}\nspec:\n  steps:\n    - name: say\n      script: echo two\n',
    );

    const broken = list.replace('script: echo two', 'scrpit: echo two');
    const problems = await problemsOf(apply([{ name: 'list.yaml', content: broken }]));
    expect(problems).toContainEqual(
      expect.objectContaining({
        file: 'list.yaml',
        line: 12,
        column: 9,
        path: '[1].spec.steps[0].scrpit',
        message: expect.stringContaining('did you mean "script"'),
      }),
    );
  });

  it('names the apiVersions a kind has when a document gives another', async () => {
    const content = hello('versioned').replace('apiVersion: baton/v1', 'apiVersion: baton/v2');
    const [problem] = await problemsOf(apply([{ name: 'v.yaml', content }]));
    expect(problem).toMatchObject({
      file: 'v.yaml',
      line: 1,
      column: 13,
      path: 'apiVersion',
      message: 'kind Job has no apiVersion "baton/v2" (did you mean "baton/v1"?)',
      expected: 'one of baton/v1',
    });
  });

  it('says when the same document is applied twice, naming the list item', async () => {
    const item = `- apiVersion: baton/v1
  kind: Job
  metadata: {name: twice, project: apply}
  spec: {steps: [{name: s, script: echo}]}
`;
    const problems = await problemsOf(apply([{ name: 'twice.yaml', content: `${item}${item}` }]));
    expect(problems).toEqual([
      expect.objectContaining({
        path: '[1].metadata.name',
        message: 'Job apply/twice is also defined in twice.yaml (document 1, item 1)',
      }),
    ]);
  });
});
