/**
 * Job options as the API shows them, and the check of one value against its option: the server
 * runs it before an execution exists, the web's run form as the user types, so both say the same.
 */
import { z } from 'zod';
import type { Problem } from './errors.js';
import { compileUserRegex, regexProblem } from './regex.js';
import { secretPathProblem } from './secret-path.js';

export const SCALAR_TYPES = ['string', 'integer', 'number', 'boolean', 'enum'] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];
/** A `secret` option's value is a secret path; its step sees the secret's value. */
export const OPTION_TYPES = [...SCALAR_TYPES, 'list', 'secret'] as const;
export type OptionType = (typeof OPTION_TYPES)[number];

/** An option as a job declares it (`spec.options[]`) and the API shows it. */
export const jobOptionView = z.object({
  name: z.string(),
  type: z.enum(OPTION_TYPES),
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: z.unknown().optional(),
  pattern: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  values: z.array(z.union([z.string(), z.number()])).optional(),
  items: z.enum(SCALAR_TYPES).optional(),
});
export type JobOptionView = z.infer<typeof jobOptionView>;
/** What a value is checked against: the declared option (the server's parsed spec fits it too). */
export type OptionSpec = JobOptionView;

export type ScalarValue = string | number | boolean;
export type OptionValue = ScalarValue | ScalarValue[];
export type OptionValues = Record<string, OptionValue>;

/**
 * Values reach a step as environment variables, and Linux refuses an exec (E2BIG) when one string
 * of argv or env passes MAX_ARG_STRLEN (128 KiB) or all of them pass ARG_MAX (about 2 MiB, a
 * quarter of the stack limit). 32 KiB per value is a quarter of the per-string limit, room for a
 * certificate or a long list of hosts; the 256 KiB total leaves most of ARG_MAX to the step's own
 * environment (PATH, secrets, BATON_*) and arguments. Larger data belongs in a file or a secret.
 */
export const MAX_OPTION_VALUE_BYTES = 32 * 1024;
export const MAX_OPTION_TOTAL_BYTES = 256 * 1024;
/** More names than any job declares (its schema allows as many); checked before each is looked at. */
export const MAX_OPTIONS_PER_RUN = 200;

/** Why values have size limits at all, as messages say it. */
export const WHY_ENVIRONMENT = 'values reach the step as environment variables';

/** Bytes of a text in UTF-8, as the kernel counts an environment string. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Why a value's environment text could never be handed to a process, or undefined when it could. */
function environmentProblem(text: string): { message: string; expected?: string } | undefined {
  if (text.includes('\0')) {
    return {
      message: `value holds a NUL byte, which cannot be passed (${WHY_ENVIRONMENT}, which end at NUL)`,
      expected: 'text without NUL (\\u0000) characters',
    };
  }
  const bytes = utf8Length(text);
  if (bytes > MAX_OPTION_VALUE_BYTES) {
    return {
      // The message names the limit; larger data belongs in a file or a secret (README, Jobs).
      message: `value is ${bytes} bytes; at most ${MAX_OPTION_VALUE_BYTES} bytes (${WHY_ENVIRONMENT})`,
    };
  }
  return undefined;
}

/** The text a value is handed to a step as: lists as JSON, the rest as written. */
export function environmentText(value: OptionValue): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** A found value as errors quote it: short, so a refused 5 MB value is not echoed back whole. */
function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Checks one scalar against its type and constraints; returns the typed value or a reason. */
function checkScalar(
  option: OptionSpec,
  type: ScalarType,
  raw: unknown,
): { value: ScalarValue } | { expected: string } {
  switch (type) {
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return { expected: 'a string' };
      const text = String(raw);
      if (option.pattern !== undefined) {
        // Checked at apply; a job stored by an older version may hold a pattern RE2 refuses
        // (a backreference). Its values cannot be checked, so none is accepted, saying why.
        const problem = regexProblem(option.pattern);
        if (problem) return { expected: `a valid pattern in the job: /${option.pattern}/ (${problem})` };
        if (!compileUserRegex(option.pattern).test(text)) {
          return { expected: `a string matching /${option.pattern}/` };
        }
      }
      return { value: text };
    }
    case 'integer':
    case 'number': {
      const number =
        typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      const integerOnly = type === 'integer';
      if (!Number.isFinite(number) || (integerOnly && !Number.isInteger(number))) {
        return { expected: integerOnly ? 'an integer' : 'a number' };
      }
      const range =
        option.min !== undefined && option.max !== undefined
          ? ` between ${option.min} and ${option.max}`
          : option.min !== undefined
            ? ` of at least ${option.min}`
            : option.max !== undefined
              ? ` of at most ${option.max}`
              : '';
      if (
        (option.min !== undefined && number < option.min) ||
        (option.max !== undefined && number > option.max)
      ) {
        return { expected: `${integerOnly ? 'an integer' : 'a number'}${range}` };
      }
      return { value: number };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const word = typeof raw === 'string' ? raw.trim().toLowerCase() : String(raw);
      if (TRUE_WORDS.has(word)) return { value: true };
      if (FALSE_WORDS.has(word)) return { value: false };
      return { expected: 'true or false' };
    }
    case 'enum': {
      const values = option.values ?? [];
      const match = values.find((value) => String(value) === String(raw));
      if (match === undefined || (typeof raw !== 'string' && typeof raw !== 'number')) {
        return { expected: `one of ${values.map((value) => String(value)).join(', ')}` };
      }
      return { value: match };
    }
  }
}

/** Checks a value (scalar or list) against an option; returns the typed value or a problem. */
export function checkOptionValue(
  option: OptionSpec,
  raw: unknown,
): { value: OptionValue } | { problem: Problem } {
  const path = `options.${option.name}`;
  // Before any type check or pattern looks at the text: a 9 MB value is refused by its size.
  const rawProblem = typeof raw === 'string' ? environmentProblem(raw) : undefined;
  if (rawProblem) return { problem: { path, ...rawProblem } };
  const checked = checkTypedValue(option, path, raw);
  if ('problem' in checked) return checked;
  const problem = environmentProblem(environmentText(checked.value));
  return problem ? { problem: { path, ...problem } } : checked;
}

function checkTypedValue(
  option: OptionSpec,
  path: string,
  raw: unknown,
): { value: OptionValue } | { problem: Problem } {
  if (option.type === 'secret') {
    // The value names a secret; the step receives the secret's value, never this path's text.
    const problem = typeof raw === 'string' ? secretPathProblem(raw) : 'must be a string';
    return problem === undefined
      ? { value: raw as string }
      : {
          problem: {
            path,
            message: `invalid secret path: ${problem}`,
            expected: 'a secret path such as db/prod/password',
            found: describe(raw),
          },
        };
  }
  if (option.type !== 'list') {
    const checked = checkScalar(option, option.type, raw);
    return 'value' in checked
      ? checked
      : { problem: { path, message: 'invalid value', expected: checked.expected, found: describe(raw) } };
  }
  let items: unknown = raw;
  if (typeof raw === 'string') {
    // From the command line a list arrives as a JSON array, or as a single value.
    try {
      items = raw.trim().startsWith('[') ? JSON.parse(raw) : [raw];
    } catch {
      items = undefined;
    }
  }
  if (!Array.isArray(items)) {
    return { problem: { path, message: 'invalid value', expected: 'a list', found: describe(raw) } };
  }
  const values: ScalarValue[] = [];
  for (const [index, item] of items.entries()) {
    const checked = checkScalar(option, option.items ?? 'string', item);
    if (!('value' in checked)) {
      return {
        problem: {
          path: `${path}[${index}]`,
          message: 'invalid list item',
          expected: checked.expected,
          found: describe(item),
        },
      };
    }
    values.push(checked.value);
  }
  return { value: values };
}

/** A few words for what an option accepts, for error messages and help. */
export function describeType(option: OptionSpec): string {
  if (option.type === 'enum') return `one of ${(option.values ?? []).join(', ')}`;
  if (option.type === 'list') return `a list of ${option.items ?? 'string'} values`;
  if (option.type === 'secret') return 'a secret path';
  return `a value of type ${option.type}`;
}
