/** `baton apply -f`: sends documents to POST /api/v1/apply and prints what changed. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { readDocumentDirectory } from '../../platform/documents/files.js';
import type { SourceFile } from '../../platform/documents/source.js';
import type { ApplyResponse, ApplyResultView, ApplyWarningView } from '../../contract/apply.js';
import { CliError, usageError } from '../errors.js';
import { colorDiff, OUTPUT_HELP, parseOutputFormat, printJson, type OutputFormat } from '../output.js';
import { connect } from '../session.js';
import { readStdin } from './login.js';

const STDIN_NAME = '<stdin>';

/** Reads the files, directories (recursively: *.yaml, *.yml, *.json, sorted) and `-` (stdin) to apply. */
export async function readSources(paths: readonly string[], cwd = process.cwd()): Promise<SourceFile[]> {
  if (paths.filter((name) => name === '-').length > 1) throw usageError('stdin (-f -) can be read only once');
  const sources: SourceFile[] = [];
  for (const given of paths) {
    if (given === '-') {
      sources.push({ name: STDIN_NAME, content: await readStdin() });
      continue;
    }
    const absolute = path.resolve(cwd, given);
    try {
      const stat = await fs.stat(absolute);
      if (stat.isDirectory()) {
        const found = await readDocumentDirectory(absolute, cwd);
        if (found.length === 0) throw usageError(`no .yaml, .yml or .json files in ${given}`);
        sources.push(...found);
      } else {
        sources.push({
          name: path.relative(cwd, absolute) || given,
          content: await fs.readFile(absolute, 'utf8'),
        });
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT'
          ? 'no such file or directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (error as Error).message;
      throw usageError(`cannot read ${given}: ${reason}`);
    }
  }
  return sources;
}

/** `job examples/hello created`, `team payments updated`, `openslo/v1 sli latency created`. */
export function describeResult(result: ApplyResultView): string {
  const name = result.scope && result.scope !== result.name ? `${result.scope}/${result.name}` : result.name;
  const kind = `${result.apiVersion ? `${result.apiVersion} ` : ''}${result.kind.toLowerCase()}`;
  return `${kind} ${name} ${result.action}`;
}

/** `warning: slos.yaml:12:9: spec.objectives[0].op: … (expected …)`, as problems are printed. */
export function describeWarning(warning: ApplyWarningView): string {
  const path = warning.path ? `${warning.path}: ` : '';
  const expected = warning.expected ? ` (expected ${warning.expected})` : '';
  return `warning: ${warning.file}:${warning.line}:${warning.column}: ${path}${warning.message}${expected}`;
}

export function registerApplyCommand(program: Command): void {
  program
    .command('apply')
    .description(
      'create, update (or with --prune delete) documents (jobs, services, SLOs …) from YAML or JSON, all or nothing',
    )
    .requiredOption(
      '-f, --filename <path>',
      'a file, a directory (its *.yaml, *.yml, *.json, recursively) or - for stdin; repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--dry-run', 'show what would change, with diffs, and change nothing')
    .option('--prune', 'delete documents of the same kind and project that the files no longer contain')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .addHelpText(
      'after',
      `
An invalid document changes nothing; each problem is printed as
  file:line:column: field.path: message (expected …, found …)
and the exit code is 2. Warnings (accepted, but worth a look) go to stderr as
  warning: file:line:column: field.path: message
and do not change the exit code. A file may hold a YAML list of documents; OpenSLO v1
(apiVersion: openslo/v1) and Sloth (version: prometheus/v1) documents apply as they are.`,
    )
    .action(
      async (
        options: { filename: string[]; dryRun?: boolean; prune?: boolean; output: OutputFormat },
        command: Command,
      ) => {
        const files = await readSources(options.filename);
        const client = await connect(command);
        const answer = await client.post<ApplyResponse>('/api/v1/apply', {
          files,
          dryRun: options.dryRun === true,
          prune: options.prune === true,
        });
        if (options.output === 'json') return printJson(answer);
        // On stderr, so that the list of changes on stdout stays what scripts read.
        for (const warning of answer.warnings ?? []) process.stderr.write(`${describeWarning(warning)}\n`);
        for (const result of answer.results) {
          process.stdout.write(`${answer.dryRun ? '(dry run) ' : ''}${describeResult(result)}\n`);
          if (answer.dryRun && result.diff) {
            const diff = colorDiff(result.diff, process.stdout);
            process.stdout.write(diff.endsWith('\n') ? diff : `${diff}\n`);
          }
        }
        if (answer.results.length === 0) process.stderr.write('nothing to apply\n');
      },
    );
}
