/**
 * Globs, matched without backtracking. Users write globs in policies, token scopes (self-service)
 * and node filters; turned into a regular expression, `*a*a*a*a*a*a*a*a*a*a*a*a*b` against a
 * 40-character name backtracked for 147 s on the event loop. Here a glob is a list of steps run
 * as a set of live positions over the text (a Thompson-style simulation): every character of the
 * text advances each live position at most once, so a match costs at most
 * (text length + 1) × (glob steps + 1) steps, whatever the glob.
 */
import type { z } from 'zod';

/** How a family of globs reads its wildcards. */
export interface GlobSyntax {
  /**
   * `/` for paths: `*` matches within one segment and `**` across segments (policies, token
   * scopes). Absent: `*` matches any run of characters (node names, hostnames with dots).
   */
  separator?: '/';
  /** Whether `?` matches exactly one character (node filters); otherwise it is literal. */
  singleCharacter?: boolean;
}

/** Policy resources, token scopes and policy subjects: `job/ops/*`, `secret/db/**`, `team/*`. */
export const PATH_GLOB: GlobSyntax = { separator: '/' };
/** Node filters: `web-*`, `*.example.com`, `db-?`. */
export const NODE_GLOB: GlobSyntax = { singleCharacter: true };

/** The longest glob accepted anywhere; longer than any resource path or hostname (253). */
export const MAX_GLOB_LENGTH = 256;
/** The most wildcards (`*`, `**`, `?`) one glob may hold; people write one or two. */
export const MAX_GLOB_WILDCARDS = 8;

/** One step of a compiled glob. */
type Step =
  | { kind: 'literal'; char: string }
  | { kind: 'one' }
  /** `*` (within a segment when `separator` is set) or `**` (anything). */
  | { kind: 'run'; excluded: string | undefined };

/**
 * A glob ready to match; build one with {@link compileGlob}. Most globs people write are a
 * literal with one wildcard (`job/ops/diagnose-*`, `secret/db/**`), so the literal text before
 * the first wildcard and after the last is kept apart and compared directly, and a single
 * wildcard between them is one scan. Measured (node 20, a loaded 2-core machine, so rough):
 * such globs take 30–500 ns a match where the old regular expressions took 10–180 ns; a glob
 * with several wildcards (`job/P/diag-*` with `*` for P) about 1.4 µs against 55 ns. That is
 * the price of a bound: the old expressions had none (`*a*a*…*b` took 147 s).
 */
export interface Glob {
  readonly pattern: string;
  readonly steps: readonly Step[];
  /** The pattern has no wildcard: matching is string equality. */
  readonly exact: boolean;
  /** Literal text before the first wildcard and after the last. */
  readonly prefix: string;
  readonly suffix: string;
  /** The steps from the first wildcard to the last, matched against what lies between. */
  readonly middle: readonly Step[];
}

/** Counts the steps of matches, so tests can prove the bound instead of timing it. */
export interface GlobStepCounter {
  steps: number;
}

/**
 * Splits a glob into steps. Reading is left to right, so `***` is `**` then `*`, as before.
 * Characters are UTF-16 code units, as they were for the regular expressions (no `u` flag).
 */
export function compileGlob(pattern: string, syntax: GlobSyntax): Glob {
  const steps: Step[] = [];
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') {
      if (syntax.separator !== undefined && pattern[index + 1] === '*') {
        index++;
        steps.push({ kind: 'run', excluded: undefined });
      } else {
        steps.push({ kind: 'run', excluded: syntax.separator });
      }
    } else if (char === '?' && syntax.singleCharacter) {
      steps.push({ kind: 'one' });
    } else {
      steps.push({ kind: 'literal', char });
    }
  }
  const first = steps.findIndex((step) => step.kind !== 'literal');
  const last = steps.findLastIndex((step) => step.kind !== 'literal');
  const literal = (from: number, to: number) =>
    steps
      .slice(from, to)
      .map((step) => (step.kind === 'literal' ? step.char : ''))
      .join('');
  if (first === -1) return { pattern, steps, exact: true, prefix: pattern, suffix: '', middle: [] };
  return {
    pattern,
    steps,
    exact: false,
    prefix: literal(0, first),
    suffix: literal(last + 1, steps.length),
    middle: steps.slice(first, last + 1),
  };
}

/**
 * Whether the whole text matches the glob, in at most (text length + 1) × (steps + 1) steps:
 * the literal ends are compared, and what lies between is read once, each character advancing
 * the set of live positions in the middle steps (`live[i]`: "the first i steps can match the
 * text read so far").
 */
export function matchGlob(glob: Glob, text: string, counter?: GlobStepCounter): boolean {
  if (glob.exact) return glob.pattern === text;
  const { prefix, suffix, middle } = glob;
  const end = text.length - suffix.length;
  if (end < prefix.length || !text.startsWith(prefix) || !text.endsWith(suffix)) return false;
  const only = middle.length === 1 ? middle[0]! : undefined;
  if (only?.kind === 'run') {
    // One wildcard: it takes everything between, unless that holds what it may not cross.
    if (counter) counter.steps += end - prefix.length;
    if (only.excluded === undefined) return true;
    const crossing = text.indexOf(only.excluded, prefix.length);
    return crossing === -1 || crossing >= end;
  }
  let [live, next] = scratchFor(middle.length + 1);
  live.fill(0, 0, middle.length + 1);
  live[0] = 1;
  closeOverRuns(middle, live);
  for (let position = prefix.length; position < end; position++) {
    const char = text[position]!;
    next.fill(0, 0, middle.length + 1);
    let any = false;
    for (let index = 0; index < middle.length; index++) {
      if (live[index] === 0) continue;
      const step = middle[index]!;
      if (step.kind === 'run') {
        // A run may take this character and stay where it is.
        if (char !== step.excluded) {
          next[index] = 1;
          any = true;
        }
      } else if (step.kind === 'one' || step.char === char) {
        next[index + 1] = 1;
        any = true;
      }
    }
    if (counter) counter.steps += middle.length;
    if (!any) return false;
    closeOverRuns(middle, next);
    [live, next] = [next, live];
  }
  return live[middle.length] === 1;
}

/**
 * The two position sets, reused by every match (matching never yields, so one pair suffices):
 * allocating them per match was most of the cost of a short multi-wildcard match.
 */
let scratch: [Uint8Array, Uint8Array] = [new Uint8Array(64), new Uint8Array(64)];
function scratchFor(size: number): [Uint8Array, Uint8Array] {
  if (scratch[0].length < size) scratch = [new Uint8Array(size * 2), new Uint8Array(size * 2)];
  return [scratch[0], scratch[1]];
}

/** A run may also match nothing: whoever stands before it stands after it too. */
function closeOverRuns(steps: readonly Step[], live: Uint8Array): void {
  for (let index = 0; index < steps.length; index++) {
    if (live[index] === 1 && steps[index]!.kind === 'run') live[index + 1] = 1;
  }
}

/**
 * Compiled globs by syntax and pattern. Patterns come from stored policies, scopes and filters,
 * so the set is small; the cap only keeps a flood of distinct run-time filters from growing it.
 */
const compiled = new Map<GlobSyntax, Map<string, Glob>>();
const MAX_CACHED = 10_000;

/** Whether the whole text matches the pattern, compiling (and caching) the pattern once. */
export function globMatches(pattern: string, text: string, syntax: GlobSyntax = PATH_GLOB): boolean {
  let bySyntax = compiled.get(syntax);
  if (!bySyntax) compiled.set(syntax, (bySyntax = new Map()));
  let glob = bySyntax.get(pattern);
  if (!glob) {
    if (bySyntax.size >= MAX_CACHED) bySyntax.clear();
    glob = compileGlob(pattern, syntax);
    bySyntax.set(pattern, glob);
  }
  return matchGlob(glob, text);
}

/** The wildcards of a pattern as its syntax reads them (`**` counts once). */
export function countWildcards(pattern: string, syntax: GlobSyntax): number {
  return compileGlob(pattern, syntax).steps.filter((step) => step.kind !== 'literal').length;
}

/**
 * Adds the glob bounds to a string schema: at most {@link MAX_GLOB_LENGTH} characters and
 * {@link MAX_GLOB_WILDCARDS} wildcards, each refused with a message naming the limit.
 */
export function boundedGlob(schema: z.ZodString, syntax: GlobSyntax): z.ZodString {
  return schema
    .max(MAX_GLOB_LENGTH, `must be at most ${MAX_GLOB_LENGTH} characters`)
    .refine((pattern) => countWildcards(pattern, syntax) <= MAX_GLOB_WILDCARDS, {
      message: `must have at most ${MAX_GLOB_WILDCARDS} wildcards (${syntax.singleCharacter ? '*, ?' : '*, **'})`,
    });
}
