import { describe, expect, it } from 'vitest';
import type { JobOption } from '../api/types';
import { checkField, initialFieldValue } from './run-form';

const option = (spec: Partial<JobOption> & Pick<JobOption, 'name' | 'type'>): JobOption => spec;

describe('the run form checks values as the server does', () => {
  it('fills defaults into the fields', () => {
    expect(initialFieldValue(option({ name: 'depth', type: 'integer', default: 2 }))).toBe('2');
    expect(initialFieldValue(option({ name: 'dry', type: 'boolean', default: true }))).toBe(true);
    expect(initialFieldValue(option({ name: 'dry', type: 'boolean' }))).toBe(false);
    expect(initialFieldValue(option({ name: 'hosts', type: 'list', default: ['a', 'b'] }))).toBe('a\nb');
    expect(
      initialFieldValue(
        option({ name: 'zones', type: 'list', items: 'enum', values: ['a', 'b'], default: ['b'] }),
      ),
    ).toEqual(['b']);
    // Re-running fills what the earlier execution used, not the defaults.
    expect(
      initialFieldValue(option({ name: 'env', type: 'enum', values: ['staging', 'prod'] }), 'prod'),
    ).toBe('prod');
  });

  it('types the values it sends', () => {
    expect(checkField(option({ name: 'depth', type: 'integer' }), '3')).toEqual({ value: 3 });
    expect(checkField(option({ name: 'ratio', type: 'number' }), '0.5')).toEqual({ value: 0.5 });
    expect(checkField(option({ name: 'dry', type: 'boolean' }), false)).toEqual({ value: false });
    expect(checkField(option({ name: 'hosts', type: 'list', items: 'integer' }), '1\n 2 \n\n')).toEqual({
      value: [1, 2],
    });
  });

  it('names what is wrong before anything is submitted', () => {
    expect(checkField(option({ name: 'depth', type: 'integer', min: 1, max: 5 }), '9')).toEqual({
      problem: 'expected an integer between 1 and 5',
    });
    expect(checkField(option({ name: 'depth', type: 'integer' }), '1.5')).toEqual({
      problem: 'expected an integer',
    });
    expect(checkField(option({ name: 'path', type: 'string', pattern: '^/' }), 'tmp')).toEqual({
      problem: 'expected a string matching /^//',
    });
    expect(checkField(option({ name: 'env', type: 'enum', values: ['staging', 'prod'] }), 'dev')).toEqual({
      problem: 'expected one of staging, prod',
    });
    expect(checkField(option({ name: 'password', type: 'secret' }), '../etc/passwd')).toEqual({
      problem: 'expected a secret path such as db/prod/password',
    });
    // The server's limits, so a value no step could be given is refused in the form first.
    expect(checkField(option({ name: 'note', type: 'string' }), 'x'.repeat(40_000))).toEqual({
      problem: 'value is 40000 bytes; at most 32768 bytes (values reach the step as environment variables)',
    });
  });

  it('requires required options and leaves empty optional ones out', () => {
    expect(checkField(option({ name: 'env', type: 'enum', values: ['a'], required: true }), '')).toEqual({
      problem: 'is required',
    });
    expect(checkField(option({ name: 'hosts', type: 'list', required: true }), '')).toEqual({
      problem: 'is required',
    });
    expect(checkField(option({ name: 'note', type: 'string' }), '')).toEqual({});
  });
});
