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

/** A glob ready to match; build one with {@link compileGlob}. */
export interface Glob {
  readonly pattern: string;
  readonly steps: readonly Step[];
  /** The pattern has no wildcard: matching is string equality. */
  readonly exact: boolean;
}

/** Counts the steps of matches, so tests can prove the bound instead of timing it. */
export interface GlobStepCounter {
  steps: number;
}

/** Splits a glob into steps. Reading is left to right, so `***` is `**` then `*`, as before. */
export function compileGlob(pattern: string, syntax: GlobSyntax): Glob {
  const steps: Step[] = [];
  const chars = [...pattern];
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]!;
    if (char === '*') {
      if (syntax.separator !== undefined && chars[index + 1] === '*') {
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
  return { pattern, steps, exact: steps.every((step) => step.kind === 'literal') };
}

/**
 * Whether the whole text matches the glob, in at most (text length + 1) × (steps + 1) steps.
 * `live[i]` says "the first i steps can match the text read so far".
 */
export function matchGlob(glob: Glob, text: string, counter?: GlobStepCounter): boolean {
  if (glob.exact) return glob.pattern === text;
  const { steps } = glob;
  let live = new Uint8Array(steps.length + 1);
  let next = new Uint8Array(steps.length + 1);
  live[0] = 1;
  closeOverRuns(steps, live);
  let work = 0;
  for (const char of text) {
    next.fill(0);
    let any = false;
    for (let index = 0; index < steps.length; index++) {
      work++;
      if (live[index] === 0) continue;
      const step = steps[index]!;
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
    if (counter) counter.steps += work;
    work = 0;
    if (!any) return false;
    closeOverRuns(steps, next);
    [live, next] = [next, live];
  }
  return live[steps.length] === 1;
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
