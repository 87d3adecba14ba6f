/**
 * Collects what is wrong (problems) and what is merely worth saying (warnings) while SLO
 * documents are read, each at a document and a field path, so the apply layer can point at
 * file:line:column. Also turns the two kinds of error the checks raise — zod issues and the SLO
 * math's `SloSpecError` — into findings.
 */
import type { z } from 'zod';
import { SloSpecError, shown } from './errors.js';
import type { DocumentFinding } from './model.js';

export type FieldPath = readonly (string | number)[];

/** A place to report at: a document and the path of the part being read. */
export interface At {
  readonly document: number;
  readonly path: FieldPath;
}

/** `at` one level deeper. */
export function under(at: At, ...segments: (string | number)[]): At {
  return { document: at.document, path: [...at.path, ...segments] };
}

export class Findings {
  readonly problems: DocumentFinding[] = [];
  readonly warnings: DocumentFinding[] = [];

  problem(at: At, message: string, detail: { expected?: string; found?: string } = {}): void {
    this.problems.push({ document: at.document, path: at.path, message, ...defined(detail) });
  }

  warning(at: At, message: string, detail: { expected?: string; found?: string } = {}): void {
    this.warnings.push({ document: at.document, path: at.path, message, ...defined(detail) });
  }

  /** Each zod issue as a problem under `at`; `value` is what was parsed there, to say what was found. */
  zod(at: At, error: z.ZodError, value: unknown): void {
    for (const issue of error.issues) {
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      const found = valueAt(value, path);
      switch (issue.code) {
        case 'unrecognized_keys':
          for (const key of issue.keys) this.problem(under(at, ...path, key), `unknown field "${key}"`);
          break;
        case 'invalid_type':
          this.problem(under(at, ...path), found === undefined ? 'is required' : 'has the wrong type', {
            expected: /^[aeiou]/.test(issue.expected) ? `an ${issue.expected}` : `a ${issue.expected}`,
            ...(found === undefined ? {} : { found: shown(found) }),
          });
          break;
        case 'invalid_value':
          this.problem(under(at, ...path), 'invalid value', {
            expected: `one of ${issue.values.map((option) => JSON.stringify(option)).join(', ')}`,
            found: shown(found),
          });
          break;
        default:
          this.problem(under(at, ...path), issue.message, found === undefined ? {} : { found: shown(found) });
      }
    }
  }

  /** A `SloSpecError` from the math, its dotted field turned into a path under `at`. */
  spec(at: At, error: SloSpecError, rename: (path: FieldPath) => FieldPath = (path) => path): void {
    // The message holds expected and found, so a formatter that adds them when missing does not repeat them.
    this.problem(
      under(at, ...rename(fieldPath(error.field))),
      `expected ${error.expected}, found ${error.got}`,
      {
        expected: error.expected,
        found: error.got,
      },
    );
  }

  /** Run a check that may raise `SloSpecError`; report it under `at` and return undefined. */
  catchSpec<T>(at: At, run: () => T, rename?: (path: FieldPath) => FieldPath): T | undefined {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof SloSpecError)) throw error;
      this.spec(at, error, rename);
      return undefined;
    }
  }
}

function defined(detail: { expected?: string; found?: string }): { expected?: string; found?: string } {
  return {
    ...(detail.expected !== undefined ? { expected: detail.expected } : {}),
    ...(detail.found !== undefined ? { found: detail.found } : {}),
  };
}

/** `objectives[1].timeSliceWindow` → `['objectives', 1, 'timeSliceWindow']`, in one pass without a regex. */
export function fieldPath(field: string): (string | number)[] {
  const path: (string | number)[] = [];
  let name = '';
  for (let i = 0; i < field.length; i++) {
    const char = field[i]!;
    if (char === '.' || char === '[') {
      if (name) path.push(name);
      name = '';
      if (char === '[') {
        const close = field.indexOf(']', i);
        if (close < 0) break;
        path.push(Number(field.slice(i + 1, close)));
        i = close;
      }
    } else {
      name += char;
    }
  }
  if (name) path.push(name);
  return path;
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}
