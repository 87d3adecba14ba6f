/**
 * Option values: checked against the job's declared types before an execution exists, and
 * handed to steps only as environment variables. They are data, never spliced into code.
 * The check of one value is in the contract (the web's run form runs it too); here is what only
 * the server does with a whole set of values.
 */
import {
  checkOptionValue,
  describeType,
  environmentText,
  MAX_OPTION_TOTAL_BYTES,
  MAX_OPTIONS_PER_RUN,
  utf8Length,
  WHY_ENVIRONMENT,
  type OptionSpec,
  type OptionValues,
} from '../../contract/options.js';
import { InputError, type Problem } from '../../platform/errors.js';
import { didYouMean } from '../../platform/suggest.js';

export type { OptionValue, OptionValues, ScalarValue } from '../../contract/options.js';

/**
 * Resolves the values for a run: checks every given value, fills defaults, and reports every
 * violation at once (unknown names, missing required options, wrong types), per option.
 */
export function resolveOptions(specs: readonly OptionSpec[], input: Record<string, unknown>): OptionValues {
  const given = Object.keys(input).length;
  if (given > MAX_OPTIONS_PER_RUN) {
    throw new InputError(`too many options: ${given}`, [
      {
        path: 'options',
        message: `${given} options given; at most ${MAX_OPTIONS_PER_RUN}`,
        expected: 'only options the job declares',
      },
    ]);
  }
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
    // Own keys only: an option named `constructor` must not read Object.prototype.constructor.
    const raw = Object.hasOwn(input, option.name) ? input[option.name] : undefined;
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
  const total = Object.entries(values).reduce(
    (sum, [name, value]) =>
      sum + utf8Length(optionVariableName(name)) + 1 + utf8Length(environmentText(value)),
    0,
  );
  if (problems.length === 0 && total > MAX_OPTION_TOTAL_BYTES) {
    problems.push({
      path: 'options',
      message: `values total ${total} bytes of environment; at most ${MAX_OPTION_TOTAL_BYTES} bytes (${WHY_ENVIRONMENT})`,
    });
  }
  if (problems.length > 0) {
    throw new InputError(
      `invalid options: ${problems.map((problem) => problem.path?.replace(/^options\./, '')).join(', ')}`,
      problems,
    );
  }
  return values;
}

/** `dry_run` → `BATON_OPTION_DRY_RUN`. */
export function optionVariableName(name: string): string {
  return `BATON_OPTION_${name.toUpperCase()}`;
}

/** The environment variables that carry option values to a step: lists as JSON, the rest as text. */
export function optionEnvironment(values: OptionValues): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [optionVariableName(name), environmentText(value)]),
  );
}
