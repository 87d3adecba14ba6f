/**
 * Collects what is wrong (problems) and what is merely worth saying (warnings) while SLO
 * documents are read, each at a document and a field path, so the apply layer can point at
 * file:line:column. Also turns the two kinds of error the checks raise — zod issues and the SLO
 * math's `SloSpecError` — into findings.
 */
import type { z } from 'zod';
import { SloSpecError } from './errors.js';
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

  /** Each zod issue as a problem under `at`. */
  zod(at: At, error: z.ZodError): void {
    for (const issue of error.issues) {
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      const message =
        issue.code === 'invalid_type' && issue.input === undefined
          ? 'is required'
          : issue.code === 'unrecognized_keys'
            ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`
            : issue.message;
      this.problem(under(at, ...path), message);
    }
  }

  /** A `SloSpecError` from the math, its dotted field turned into a path under `at`. */
  spec(at: At, error: SloSpecError, rename: (path: FieldPath) => FieldPath = (path) => path): void {
    this.problem(under(at, ...rename(fieldPath(error.field))), `expected ${error.expected}`, {
      expected: error.expected,
      found: error.got,
    });
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
