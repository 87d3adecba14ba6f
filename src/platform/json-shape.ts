/**
 * Bounds on the shape of values Baton receives as JSON (request bodies, hook payloads, step
 * output) or reads from YAML documents: how deep they nest, and whether their text is
 * well-formed Unicode. Checked by one loop over the value, before anything recursive runs on it.
 */

/**
 * How deeply objects and arrays may nest. Real documents and payloads nest well under 20 levels
 * (an Alertmanager payload: 4); recursive code after the check (canonical JSON, masking, zod)
 * stays far from the stack limit, which a 20,000-deep body reached as a 500.
 */
export const MAX_JSON_DEPTH = 64;

/** Map keys that name JavaScript's object machinery: an object built from them loses or corrupts them. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** What is wrong with a value, and where: `path` leads from the root to the offending value or key. */
export interface ShapeFlaw {
  path: (string | number)[];
  /** True when the flaw is the key at the end of the path rather than its value. */
  atKey: boolean;
  message: string;
  expected: string;
}

export interface ShapeRules {
  maxDepth?: number;
  /** Refuse `__proto__`, `constructor` and `prototype` as keys (documents, where they would be dropped). */
  refusePrototypeKeys?: boolean;
}

interface Visit {
  value: unknown;
  depth: number;
  parent: Visit | undefined;
  key: string | number | undefined;
}

function pathOf(visit: Visit | undefined): (string | number)[] {
  const path: (string | number)[] = [];
  for (let at = visit; at?.parent !== undefined; at = at.parent) path.unshift(at.key!);
  return path;
}

/**
 * A UTF-16 surrogate standing alone: with the `u` flag a well-formed pair reads as one astral code
 * point, so only an unpaired half matches. (`String.prototype.isWellFormed` does the same from
 * ES2024; the compiler's library here is ES2023, and the web bundle shares this code.)
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether a string is well-formed Unicode: JSON encoders and strict parsers reject lone surrogates. */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

const NOT_UNICODE = {
  message: 'is not well-formed Unicode (it holds a lone UTF-16 surrogate)',
  expected: 'text whose \\uD800-\\uDFFF escapes come in high-low pairs',
};

/**
 * The first flaw of a parsed value, or undefined: nesting deeper than the limit, a string or key
 * that is not well-formed Unicode, or (when asked) a prototype key. An explicit stack, not
 * recursion, so that the check itself cannot overflow on the input it exists to refuse.
 */
export function findShapeFlaw(root: unknown, rules: ShapeRules = {}): ShapeFlaw | undefined {
  const maxDepth = rules.maxDepth ?? MAX_JSON_DEPTH;
  const stack: Visit[] = [{ value: root, depth: 0, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      if (!isWellFormedText(value)) return { path: pathOf(visit), atKey: false, ...NOT_UNICODE };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const depth = visit.depth + 1;
    if (depth > maxDepth) {
      return {
        path: pathOf(visit),
        atKey: false,
        message: `nests deeper than ${maxDepth} levels of objects and arrays`,
        expected: `at most ${maxDepth} levels`,
      };
    }
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        stack.push({ value: value[index], depth, parent: visit, key: index });
      }
      continue;
    }
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      const child: Visit = { value: inner, depth, parent: visit, key };
      if (!isWellFormedText(key)) return { path: pathOf(child), atKey: true, ...NOT_UNICODE };
      if (rules.refusePrototypeKeys && PROTOTYPE_KEYS.has(key)) {
        return {
          path: pathOf(child),
          atKey: true,
          message: `"${key}" may not be a key: it names JavaScript's object machinery and would not be stored as written`,
          expected: `a key other than ${[...PROTOTYPE_KEYS].join(', ')}`,
        };
      }
      stack.push(child);
    }
  }
  return undefined;
}
