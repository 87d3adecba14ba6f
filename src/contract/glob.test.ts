import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  boundedGlob,
  compileGlob,
  globMatches,
  matchGlob,
  MAX_GLOB_LENGTH,
  MAX_GLOB_WILDCARDS,
  NODE_GLOB,
  PATH_GLOB,
  type GlobStepCounter,
} from './glob.js';

/** The regular expressions globs used to become, kept here only as the oracle of their meaning. */
function oldPathRegex(pattern: string): RegExp {
  const body = pattern
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${body}$`);
}

function oldNodeRegex(pattern: string): RegExp {
  const body = [...pattern]
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

describe('path globs (policies, token scopes)', () => {
  it.each([
    ['job/ops/diagnose-*', 'job/ops/diagnose-disk', true],
    ['job/ops/diagnose-*', 'job/ops/restart-web', false],
    ['secret/db/*', 'secret/db/prod/password', false],
    ['secret/db/**', 'secret/db/prod/password', true],
    ['secret/db/**', 'secret/db/', true],
    ['secret/a.b', 'secret/aXb', false],
    ['secret/a.b', 'secret/a.b', true],
    ['job/*/x', 'job//x', true],
    ['job/*', 'job/a/b', false],
    ['job/***', 'job/a/b', true],
    ['team/*', 'team/payments#maintainers', true],
    ['job/o?s/x', 'job/ops/x', false],
    ['job/o?s/x', 'job/o?s/x', true],
    ['job/ops/x', 'job/ops/x', true],
    ['job/ops/x', 'job/ops/xy', false],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
  ])('%s against %s is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text, PATH_GLOB)).toBe(expected);
    expect(oldPathRegex(pattern).test(text)).toBe(expected);
  });
});

describe('node globs (node filters)', () => {
  it.each([
    ['web-*', 'web-12', true],
    ['web-?', 'web-12', false],
    ['web-??', 'web-12', true],
    ['*.example.com', 'web-1.example.com', true],
    ['web', 'web-1', false],
    ['a.b', 'axb', false],
    ['a/*', 'a/b/c', true],
    ['*', '', true],
    ['?', '', false],
  ])('%s against %s is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text, NODE_GLOB)).toBe(expected);
    expect(oldNodeRegex(pattern).test(text)).toBe(expected);
  });
});

describe('matching agrees with the old regular expressions', () => {
  it('on every small pattern and text over a/b/slash', () => {
    // Exhaustive over short strings: every pattern of up to 5 of `a`, `*`, `/`, `?` against every
    // text of up to 5 of `a`, `b`, `/`. The old expressions are fast on inputs this small.
    const words = (alphabet: string[], length: number): string[] => {
      const all = [''];
      let layer = [''];
      for (let size = 1; size <= length; size++) {
        layer = layer.flatMap((word) => alphabet.map((char) => word + char));
        all.push(...layer);
      }
      return all;
    };
    const patterns = words(['a', '*', '/', '?'], 5);
    const texts = words(['a', 'b', '/'], 5);
    const disagreements: string[] = [];
    let checked = 0;
    for (const pattern of patterns) {
      const path = oldPathRegex(pattern);
      const node = oldNodeRegex(pattern);
      for (const text of texts) {
        if (globMatches(pattern, text, PATH_GLOB) !== path.test(text))
          disagreements.push(`path ${pattern} ${text}`);
        if (globMatches(pattern, text, NODE_GLOB) !== node.test(text))
          disagreements.push(`node ${pattern} ${text}`);
        checked++;
      }
    }
    expect(disagreements).toEqual([]);
    expect(checked).toBe(patterns.length * texts.length);
  });
});

describe('matching cost', () => {
  it('stays within (text + 1) × (steps + 1) steps on the glob that froze the server', () => {
    // 12 stars against a 40-character name, with literal ends that match so the whole middle is
    // read: the old regular expression backtracked through every placement of the a's (147 s
    // for the same shape with a final `b`).
    const pattern = `job/${'*a'.repeat(11)}*c*/x`;
    const text = `job/${'a'.repeat(40)}/x`;
    for (const syntax of [PATH_GLOB, NODE_GLOB]) {
      const glob = compileGlob(pattern, syntax);
      const counter: GlobStepCounter = { steps: 0 };
      expect(matchGlob(glob, text, counter)).toBe(false);
      expect(counter.steps).toBeGreaterThan(0);
      expect(counter.steps).toBeLessThanOrEqual((text.length + 1) * (glob.steps.length + 1));
    }
    // With literal ends that cannot match, nothing between them is read at all.
    const counter: GlobStepCounter = { steps: 0 };
    expect(matchGlob(compileGlob(`job/${'*a'.repeat(12)}*b/x`, PATH_GLOB), text, counter)).toBe(false);
    expect(counter.steps).toBe(0);
  });

  it('grows linearly with the text, not exponentially with the stars', () => {
    const glob = compileGlob(`${'*a'.repeat(12)}*c*`, NODE_GLOB);
    const steps = (length: number): number => {
      const counter: GlobStepCounter = { steps: 0 };
      expect(matchGlob(glob, 'a'.repeat(length), counter)).toBe(false);
      return counter.steps;
    };
    // Doubling the text doubles the work (exactly: one pass over the steps per character).
    expect(steps(200)).toBe(2 * steps(100));
    expect(steps(100)).toBe(100 * glob.steps.length);
  });

  it('reads a one-wildcard glob in one pass over what lies between its literal ends', () => {
    const counter: GlobStepCounter = { steps: 0 };
    expect(matchGlob(compileGlob('job/ops/diagnose-*', PATH_GLOB), 'job/ops/diagnose-disk', counter)).toBe(
      true,
    );
    expect(counter.steps).toBe('disk'.length);
  });
});

describe('bounds', () => {
  const pathGlob = boundedGlob(z.string(), PATH_GLOB);
  const nodeGlob = boundedGlob(z.string(), NODE_GLOB);

  it(`accepts up to ${MAX_GLOB_WILDCARDS} wildcards and refuses more, naming the limit`, () => {
    expect(pathGlob.safeParse(`job/${'*a'.repeat(MAX_GLOB_WILDCARDS)}`).success).toBe(true);
    const refused = pathGlob.safeParse(`job/${'*a'.repeat(MAX_GLOB_WILDCARDS + 1)}`);
    expect(refused.error?.issues[0]?.message).toBe(
      `must have at most ${MAX_GLOB_WILDCARDS} wildcards (*, **)`,
    );
    // `**` is one wildcard; `?` is one in node globs and a plain character in paths.
    expect(pathGlob.safeParse('**/'.repeat(MAX_GLOB_WILDCARDS)).success).toBe(true);
    expect(pathGlob.safeParse('?'.repeat(20)).success).toBe(true);
    expect(nodeGlob.safeParse('?'.repeat(MAX_GLOB_WILDCARDS + 1)).error?.issues[0]?.message).toBe(
      `must have at most ${MAX_GLOB_WILDCARDS} wildcards (*, ?)`,
    );
  });

  it(`refuses globs longer than ${MAX_GLOB_LENGTH} characters`, () => {
    expect(pathGlob.safeParse('a'.repeat(MAX_GLOB_LENGTH)).success).toBe(true);
    expect(pathGlob.safeParse('a'.repeat(MAX_GLOB_LENGTH + 1)).error?.issues[0]?.message).toBe(
      `must be at most ${MAX_GLOB_LENGTH} characters`,
    );
  });
});
