/**
 * Turns zod's findings into problems a person can act on: where (file:line:column and field
 * path), what was found, what was expected, and "did you mean" for a misspelt field.
 */
import type { z } from 'zod';
import type { Problem } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { formatPath, type FieldPath, type SourceDocument } from './source.js';

/** Validates one document against a schema; returns the parsed value or located problems. */
export function validateDocument<T extends z.ZodType>(
  schema: T,
  document: SourceDocument,
): { value: z.output<T> } | { problems: Problem[] } {
  const result = schema.safeParse(document.value);
  if (result.success) return { value: result.data };
  return { problems: result.error.issues.flatMap((issue) => issueProblems(schema, document, issue)) };
}

/** A located problem for a field of a document. */
export function problemAt(
  document: SourceDocument,
  path: FieldPath,
  problem: Omit<Problem, 'file' | 'line' | 'column' | 'path'>,
  atKey = false,
): Problem {
  return {
    file: document.file,
    ...document.locate(path, atKey),
    path: formatPath(document.item === undefined ? path : [document.item, ...path]) || undefined,
    ...problem,
  };
}

/** `document 2` or `document 1, item 3`: which document of a file, counting from 1. */
export function describeDocumentPlace(document: Pick<SourceDocument, 'index' | 'item'>): string {
  return `document ${document.index + 1}${document.item === undefined ? '' : `, item ${document.item + 1}`}`;
}

function issueProblems(schema: z.ZodType, document: SourceDocument, issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path);
      return issue.keys.map((key) =>
        problemAt(
          document,
          [...path, key],
          {
            message: `unknown field "${key}"${didYouMean(key, known)}`,
            expected: known.length ? `one of ${known.join(', ')}` : undefined,
          },
          true,
        ),
      );
    }
    case 'invalid_type': {
      const found = valueAt(document.value, path);
      return [
        problemAt(document, path, {
          message: found === undefined ? 'is required' : 'has the wrong type',
          expected: article(issue.expected),
          found: found === undefined ? undefined : describeValue(found),
        }),
      ];
    }
    case 'invalid_value':
      return [
        problemAt(document, path, {
          message: 'invalid value',
          expected: `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`,
          found: describeValue(valueAt(document.value, path)),
        }),
      ];
    default:
      return [
        problemAt(document, path, {
          message: issue.message,
          found: issue.code === 'custom' ? undefined : describeValue(valueAt(document.value, path)),
        }),
      ];
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A short, quoted rendering of a found value for error messages. */
export function describeValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Strips wrappers (optional, default, pipes) down to the schema that holds the shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let guard = 0; guard < 10; guard++) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** The field names an object schema accepts at a path, for "did you mean". */
function knownKeys(schema: z.ZodType, path: FieldPath): string[] {
  let current = unwrap(schema);
  for (const segment of path) {
    const def = defOf(current);
    const next =
      def.type === 'object'
        ? def.shape?.[String(segment)]
        : def.type === 'array'
          ? def.element
          : def.type === 'record'
            ? def.valueType
            : undefined;
    if (!next) return [];
    current = unwrap(next);
  }
  const def = defOf(current);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
