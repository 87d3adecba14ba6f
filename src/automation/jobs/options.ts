/**
 * Option values: checked against the job's declared types before an execution exists, and
 * handed to steps only as environment variables. They are data, never spliced into code.
 */
import { secretPathProblem } from '../../access/secrets/path.js';
import { InputError, type Problem } from '../../platform/errors.js';
import { compileUserRegex, regexProblem } from '../../platform/regex.js';
import { didYouMean } from '../../platform/suggest.js';
import type { OptionSpec, ScalarType } from './model.js';

export type ScalarValue = string | number | boolean;
export type OptionValue = ScalarValue | ScalarValue[];
export type OptionValues = Record<string, OptionValue>;

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
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

/**
 * Resolves the values for a run: checks every given value, fills defaults, and reports every
 * violation at once (unknown names, missing required options, wrong types), per option.
 */
export function resolveOptions(specs: readonly OptionSpec[], input: Record<string, unknown>): OptionValues {
  const problems: Problem[] = [];
  const values: OptionValues = {};
  const known = new Map(specs.map((option) => [option.name, option]));
  for (const name of Object.keys(input)) {
    if (!known.has(name)) {
      problems.push({
        path: `options.${name}`,
        message: `unknown option${didYouMean(name, known.keys())}`,
        expected: specs.length ? `one of ${[...known.keys()].join(', ')}` : 'no options: this job takes none',
      });
    }
  }
  for (const option of specs) {
    const raw = input[option.name];
    if (raw === undefined || raw === null) {
      if (option.default !== undefined) {
        const checked = checkOptionValue(option, option.default);
        if ('value' in checked) values[option.name] = checked.value;
        else problems.push(checked.problem);
      } else if (option.required) {
        problems.push({
          path: `options.${option.name}`,
          message: 'is required',
          expected: describeType(option),
        });
      }
      continue;
    }
    const checked = checkOptionValue(option, raw);
    if ('value' in checked) values[option.name] = checked.value;
    else problems.push(checked.problem);
  }
  if (problems.length > 0) {
    throw new InputError(
      `invalid options: ${problems.map((problem) => problem.path?.replace(/^options\./, '')).join(', ')}`,
      problems,
    );
  }
  return values;
}

/** A few words for what an option accepts, for error messages and help. */
export function describeType(option: OptionSpec): string {
  if (option.type === 'enum') return `one of ${(option.values ?? []).join(', ')}`;
  if (option.type === 'list') return `a list of ${option.items ?? 'string'} values`;
  if (option.type === 'secret') return 'a secret path';
  return `a value of type ${option.type}`;
}

/** `dry_run` → `BATON_OPTION_DRY_RUN`. */
export function optionVariableName(name: string): string {
  return `BATON_OPTION_${name.toUpperCase()}`;
}

/** The environment variables that carry option values to a step: lists as JSON, the rest as text. */
export function optionEnvironment(values: OptionValues): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      optionVariableName(name),
      Array.isArray(value) ? JSON.stringify(value) : String(value),
    ]),
  );
}
