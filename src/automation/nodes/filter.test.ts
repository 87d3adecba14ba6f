/** The node filter: matching, globs, and the run-time grammar with its errors. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../platform/errors.js';
import { formatNodeFilter, nodeGlobMatches, nodeMatches, parseNodeFilter } from './filter.js';
import type { NodeSpec } from './model.js';

const node = (name: string, spec: Partial<NodeSpec>) => ({
  name,
  spec: {
    hostname: `${name}.example.com`,
    port: 22,
    user: 'ops',
    tags: [],
    attributes: {},
    key: 'k',
    trustOnFirstUse: false,
    ...spec,
  },
});
const web1 = node('web-1', { tags: ['web', 'linux'], attributes: { env: 'prod', region: 'eu-west' } });
const db1 = node('db-1', { tags: ['db', 'linux'], attributes: { env: 'prod' } });

describe('node filters', () => {
  it('matches globs over whole names, dots included', () => {
    expect(nodeGlobMatches('web-*', 'web-12')).toBe(true);
    expect(nodeGlobMatches('web-?', 'web-12')).toBe(false);
    expect(nodeGlobMatches('*.example.com', 'web-1.example.com')).toBe(true);
    expect(nodeGlobMatches('web', 'web-1')).toBe(false);
    expect(nodeGlobMatches('a.b', 'axb')).toBe(false);
  });

  it('refuses globs with more wildcards than the bound, naming the key and the limit', () => {
    expect(parseNodeFilter(`name=${'*a?'.repeat(4)}`).name).toBe('*a?'.repeat(4));
    expect(() => parseNodeFilter(`name=${'*a'.repeat(9)}`)).toThrow(
      /node filter name: must have at most 8 wildcards/,
    );
    expect(() => parseNodeFilter(`attr.env=${'?'.repeat(9)}`)).toThrow(
      /attributes\.env: must have at most 8 wildcards/,
    );
  });

  it('needs every tag and every attribute, and any of the names', () => {
    expect(nodeMatches({ tags: ['web', 'linux'] }, web1)).toBe(true);
    expect(nodeMatches({ tags: ['web', 'db'] }, web1)).toBe(false);
    expect(nodeMatches({ attributes: { env: 'prod', region: 'eu-*' } }, web1)).toBe(true);
    expect(nodeMatches({ attributes: { region: 'eu-*' } }, db1)).toBe(false);
    expect(nodeMatches({ name: ['db-*', 'web-1'] }, web1)).toBe(true);
    expect(nodeMatches({ hostname: 'db-*.example.com' }, web1)).toBe(false);
    expect(nodeMatches({}, db1)).toBe(true);
  });

  it('parses the run-time form', () => {
    expect(parseNodeFilter('tags=web,linux name=web-* attr.env=prod parallelism=5 keepGoing=true')).toEqual({
      tags: ['web', 'linux'],
      name: 'web-*',
      attributes: { env: 'prod' },
      parallelism: 5,
      keepGoing: true,
    });
    expect(parseNodeFilter('  name=a,b   hostname=*.lan ')).toEqual({ name: ['a', 'b'], hostname: '*.lan' });
    expect(formatNodeFilter(parseNodeFilter('name=a,b tags=web attr.env=prod'))).toBe(
      'name=a,b tags=web attr.env=prod',
    );
  });

  it('rejects unknown keys naming the allowed ones, and malformed terms', () => {
    const problem = (text: string) => {
      try {
        parseNodeFilter(text);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as Error).message;
      }
      throw new Error(`no error for ${text}`);
    };
    expect(problem('env=prod')).toBe(
      'unknown node filter key "env" (allowed: name, tags, hostname, attr.KEY, parallelism, keepGoing)',
    );
    expect(problem('tags')).toContain('is not key=value');
    expect(problem('tags=')).toContain('is not key=value');
    expect(problem('tags=a tags=b')).toBe('node filter key "tags" is given twice');
    expect(problem('parallelism=0')).toContain('from 1 to 100');
    expect(problem('parallelism=101')).toContain('from 1 to 100');
    expect(problem('keepGoing=yes')).toContain('true or false');
    expect(problem('tags=bad/tag')).toContain('node filter tags.0');
    expect(problem('')).toBe('the node filter is empty');
  });
});
