/** Parsers for command-line values; a wrong value becomes a commander usage error (exit 2). */
import { InvalidArgumentError } from 'commander';

/** An execution id: a positive integer. */
export function parseExecutionId(value: string): number {
  if (!/^[1-9]\d*$/.test(value))
    throw new InvalidArgumentError('expected an execution id (a positive integer).');
  return Number(value);
}

/** A count such as `--limit` or `--from`: a non-negative integer. */
export function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

/** A job reference `PROJECT/NAME`. */
export function parseJobReference(value: string): { project: string; name: string } {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('expected PROJECT/JOB, for example examples/hello.');
  return { project: match[1]!, name: match[2]! };
}

/** Help for a `--since`/`--until` the server reads as a time or an age. */
export const TIME_HELP = 'an ISO time, or a duration meaning that long ago (7d, 12h)';

/** Collects repeated `-o name=value` flags in order. */
export function collectOption(value: string, previous: readonly string[] = []): string[] {
  if (!/^[^=]+=/.test(value)) throw new InvalidArgumentError(`expected name=value, got "${value}".`);
  return [...previous, value];
}

/**
 * Turns `-o` flags into the run request's options: one value is sent as a string (the server
 * converts it to the option's type); a name given more than once becomes a list.
 */
export function optionValues(flags: readonly string[]): Record<string, string | string[]> {
  const grouped = new Map<string, string[]>();
  for (const flag of flags) {
    const equals = flag.indexOf('=');
    const name = flag.slice(0, equals).trim();
    grouped.set(name, [...(grouped.get(name) ?? []), flag.slice(equals + 1)]);
  }
  return Object.fromEntries(
    [...grouped].map(([name, values]) => [name, values.length === 1 ? values[0]! : values]),
  );
}
