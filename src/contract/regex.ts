/**
 * Regular expressions written by users (rule conditions `=~`/`!~`, job option `pattern`), run by
 * re2js: RE2 semantics, linear in the input. JavaScript's own engine backtracks, and
 * `(a+)+$` against a 30-character value kept the event loop busy for 24 s. RE2 has no
 * backreferences or lookaround; a pattern using them is refused when it is written, not when
 * it is first matched. Pure JavaScript, so the web's run form checks options the same way.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** The longest pattern accepted: people write short ones, and RE2's work grows with the size. */
export const MAX_REGEX_LENGTH = 512;

/** What a refused pattern is told to be instead. */
export const RE2_SYNTAX =
  'RE2 syntax is expected (no backreferences such as \\1, no lookaround such as (?=…))';

/** A pattern RE2 cannot compile; `reason` says why, without the advice. */
export class RegexSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(`${reason}; ${RE2_SYNTAX}`);
    this.name = 'RegexSyntaxError';
  }
}

/** A compiled user pattern: `test` says whether it matches anywhere in a text, in linear time. */
export interface UserRegex {
  readonly source: string;
  test(text: string): boolean;
}

/**
 * Compiled patterns by source. They come from stored jobs and rules, so there are few; the cap
 * only keeps a stream of distinct patterns from growing the map.
 */
const compiled = new Map<string, UserRegex>();
const MAX_CACHED = 1_000;

/** Compiles a user's pattern (cached); throws RegexSyntaxError when RE2 cannot compile it. */
export function compileUserRegex(pattern: string): UserRegex {
  const cached = compiled.get(pattern);
  if (cached) return cached;
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    if (error instanceof RE2JSSyntaxException) {
      const input = error.getPattern();
      throw new RegexSyntaxError(input ? `${error.getDescription()} \`${input}\`` : error.getDescription());
    }
    throw new RegexSyntaxError(error instanceof Error ? error.message : String(error));
  }
  const userRegex: UserRegex = { source: pattern, test: (text) => regex.test(text) };
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(pattern, userRegex);
  return userRegex;
}

/** Why RE2 cannot compile a pattern (with what is expected instead), or undefined when it can. */
export function regexProblem(pattern: string): string | undefined {
  try {
    compileUserRegex(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof RegexSyntaxError) return error.message;
    throw error;
  }
}
