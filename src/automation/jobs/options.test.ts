import { describe, expect, it } from 'vitest';
import { InputError } from '../../platform/errors.js';
import { optionSpec, type OptionSpec } from './model.js';
import { optionEnvironment, resolveOptions } from './options.js';

const specs: OptionSpec[] = [
  { name: 'path', type: 'string', default: '/', pattern: '^/' },
  { name: 'depth', type: 'integer', min: 1, max: 5, default: 1 },
  { name: 'ratio', type: 'number' },
  { name: 'env', type: 'enum', values: ['staging', 'prod'], required: true },
  { name: 'dry_run', type: 'boolean', default: true },
  { name: 'ports', type: 'list', items: 'integer' },
];

function problems(input: Record<string, unknown>) {
  try {
    resolveOptions(specs, input);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).problems;
  }
  throw new Error('expected the options to be rejected');
}

describe('option values', () => {
  it('fills defaults and converts command-line strings to their declared types', () => {
    expect(
      resolveOptions(specs, { env: 'prod', depth: '3', ratio: '0.5', dry_run: 'no', ports: '[80, 443]' }),
    ).toEqual({
      path: '/',
      depth: 3,
      ratio: 0.5,
      env: 'prod',
      dry_run: false,
      ports: [80, 443],
    });
  });

  it('accepts a single value, or repeated values, for a list', () => {
    expect(resolveOptions(specs, { env: 'prod', ports: '22' }).ports).toEqual([22]);
    expect(resolveOptions(specs, { env: 'prod', ports: ['22', 8080] }).ports).toEqual([22, 8080]);
  });

  it('reports every violation, each with what was expected and what was found', () => {
    expect(
      problems({ depth: 0, path: 'tmp', ratio: 'lots', dry_run: 'maybe', ports: ['x'], colour: 'red' }),
    ).toEqual([
      expect.objectContaining({ path: 'options.colour', message: 'unknown option' }),
      expect.objectContaining({ path: 'options.path', expected: 'a string matching /^//', found: '"tmp"' }),
      expect.objectContaining({ path: 'options.depth', expected: 'an integer between 1 and 5', found: '0' }),
      expect.objectContaining({ path: 'options.ratio', expected: 'a number' }),
      expect.objectContaining({
        path: 'options.env',
        message: 'is required',
        expected: 'one of staging, prod',
      }),
      expect.objectContaining({ path: 'options.dry_run', expected: 'true or false' }),
      expect.objectContaining({ path: 'options.ports[0]', expected: 'an integer' }),
    ]);
  });

  it('checks a pattern with nested quantifiers in linear time (RE2), on a value backtracking takes hours on', () => {
    const nested: OptionSpec[] = [{ name: 'name', type: 'string', pattern: '^(a+)+$' }];
    expect(() => resolveOptions(nested, { name: `${'a'.repeat(60)}b` })).toThrow(InputError);
    expect(resolveOptions(nested, { name: 'a'.repeat(60) })).toEqual({ name: 'a'.repeat(60) });
  });

  it('refuses, in the job document, a pattern RE2 cannot run, naming the field and RE2 syntax', () => {
    const parsed = optionSpec.safeParse({ name: 'tag', type: 'string', pattern: '(a)\\1' });
    expect(parsed.error?.issues[0]?.path).toEqual(['pattern']);
    expect(parsed.error?.issues[0]?.message).toMatch(
      /^is not a valid regular expression: .*RE2 syntax is expected/,
    );
    expect(optionSpec.safeParse({ name: 'tag', type: 'string', pattern: '(?<=a)b' }).success).toBe(false);
    expect(
      optionSpec.safeParse({ name: 'tag', type: 'string', pattern: 'a'.repeat(513) }).error?.issues[0]
        ?.message,
    ).toBe('must be at most 512 characters');
  });

  it('refuses values for a stored pattern RE2 cannot run, saying so, instead of failing the request', () => {
    // A job applied before patterns were RE2 may hold a backreference; the schema refuses it now.
    const stored: OptionSpec[] = [{ name: 'tag', type: 'string', pattern: '(a)\\1' }];
    expect(() => resolveOptions(stored, { tag: 'aa' })).toThrow(InputError);
    try {
      resolveOptions(stored, { tag: 'aa' });
    } catch (error) {
      expect((error as InputError).problems[0]?.expected).toMatch(
        /^a valid pattern in the job: .*RE2 syntax/,
      );
    }
  });

  it('suggests the closest option name for a typo', () => {
    expect(problems({ env: 'prod', dept: 2 })[0]!.message).toBe('unknown option (did you mean "depth"?)');
  });

  it('hands values to steps as BATON_OPTION_ variables, lists as JSON', () => {
    expect(optionEnvironment({ dry_run: true, depth: 2, hosts: ['a b', 'c'], cmd: '$(reboot)' })).toEqual({
      BATON_OPTION_DRY_RUN: 'true',
      BATON_OPTION_DEPTH: '2',
      BATON_OPTION_HOSTS: '["a b","c"]',
      BATON_OPTION_CMD: '$(reboot)',
    });
  });
});

describe('suggestions', () => {
  it('treats two swapped neighbouring letters as one typo', () => {
    expect(() => resolveOptions([{ name: 'count', type: 'integer' }], { cuont: 1 })).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ message: expect.stringContaining('"count"') })],
      }),
    );
  });
  it('quotes a refused value shortly instead of echoing it whole', () => {
    const [problem] = problems({ env: 'prod', depth: Array(100_000).fill(9) });
    expect(problem).toMatchObject({ path: 'options.depth', expected: 'an integer' });
    expect(problem!.found).toHaveLength(60);
  });
});
