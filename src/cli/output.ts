/**
 * What the CLI prints: aligned tables for people, the API's own JSON for scripts
 * (`--output json`), and the few formats (times, durations) both tables share.
 */
import { InvalidArgumentError } from 'commander';
import { formatDurationForCli } from '../contract/time.js';

export type OutputFormat = 'text' | 'json';

/** Parses `--output`; commander reports a wrong value as a usage error. */
export function parseOutputFormat(value: string): OutputFormat {
  if (value === 'text' || value === 'json') return value;
  throw new InvalidArgumentError('expected "text" or "json".');
}

/** The description of `--output`, the same on every command. */
export const OUTPUT_HELP = 'text (default) or json: the raw JSON answer of the API';

/** Prints a value as the API returned it, indented. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows under upper-case headers, columns separated by two spaces, no trailing blanks. */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  process.stdout.write(formatTable(headers, rows));
}

/** The text of printTable. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map(oneLine));
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** A cell is one line: a description with a newline would break the columns. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/** How long something took, or has been taking while it runs; empty before it started. */
export function elapsed(startedAt: string | null, finishedAt: string | null, now = Date.now()): string {
  if (!startedAt) return '';
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return formatDurationForCli(end - Date.parse(startedAt));
}

/** An API timestamp in local time, `2025-03-14 09:26:53`, to the second. */
export function formatTime(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  );
}

/** Whether to colour a stream: only a terminal, and never when NO_COLOR is set (no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && !process.env.NO_COLOR;
}

/** Dim text (for Baton's own log lines), when the stream is a terminal. */
export function dim(text: string, stream: NodeJS.WriteStream): string {
  return useColor(stream) ? `\x1b[2m${text}\x1b[22m` : text;
}

/** Colours a unified diff (added green, removed red) on a terminal; plain elsewhere. */
export function colorDiff(diff: string, stream: NodeJS.WriteStream): string {
  if (!useColor(stream)) return diff;
  return diff
    .split('\n')
    .map((line) =>
      line.startsWith('+') && !line.startsWith('+++')
        ? `\x1b[32m${line}\x1b[39m`
        : line.startsWith('-') && !line.startsWith('---')
          ? `\x1b[31m${line}\x1b[39m`
          : line,
    )
    .join('\n');
}
