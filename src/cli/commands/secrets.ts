/** `baton secrets set|list|delete|rotate-key`: values go in through stdin and never come back out. */
import type { Command } from 'commander';
import { secretPathProblem } from '../../access/secrets/model.js';
import type { KeyRotationResponse, SecretResponse, SecretsResponse } from '../../contract/secrets.js';
import { usageError } from '../errors.js';
import {
  formatTime,
  OUTPUT_HELP,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';
import { readStdin } from './login.js';

/**
 * `db/prod/password` → `/api/v1/secrets/db/prod/password`. Checked here first: a `..` segment
 * would otherwise be resolved by the URL parser and address another path.
 */
function secretUrl(path: string): string {
  const problem = secretPathProblem(path);
  if (problem) throw usageError(`invalid secret path ${JSON.stringify(path)}: ${problem}`);
  return `/api/v1/secrets/${path}`;
}

/** The value as piped in: `echo pw | baton secrets set …` means "pw", so one final newline goes. */
function valueFrom(input: string, keepNewline: boolean): string {
  return keepNewline ? input : input.replace(/\r?\n$/, '');
}

export function registerSecretsCommand(program: Command): void {
  const secrets = program
    .command('secrets')
    .description('store secrets for jobs; values are write-only: nothing ever shows one again');

  secrets
    .command('set')
    .description('create or replace a secret, reading its value from stdin (never from arguments)')
    .argument('<path>', 'the secret path, e.g. db/prod/password')
    .option('--description <text>', 'what the secret is for')
    .option('--keep-newline', 'keep a final newline of the input (dropped by default)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .addHelpText(
      'after',
      '\nExamples:\n  baton secrets set db/prod/password < password.txt\n  printf %s "$TOKEN" | baton secrets set ci/token',
    )
    .action(
      async (
        path: string,
        options: { description?: string; keepNewline?: boolean; output: OutputFormat },
        command: Command,
      ) => {
        if (process.stdin.isTTY) process.stderr.write('enter the value, then Ctrl-D:\n');
        const value = valueFrom(await readStdin(), options.keepNewline === true);
        if (value === '') throw usageError('no value on stdin: pipe the secret value into baton secrets set');
        const client = await connect(command);
        const answer = await client.put<SecretResponse>(secretUrl(path), {
          value,
          ...(options.description === undefined ? {} : { description: options.description }),
        });
        if (options.output === 'json') return printJson(answer);
        process.stderr.write(`secret ${answer.secret.path} saved (version ${answer.secret.version})\n`);
      },
    );

  secrets
    .command('list')
    .description('list the secrets you may view: paths and metadata, never values')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<SecretsResponse>('/api/v1/secrets');
      if (options.output === 'json') return printJson(answer);
      if (answer.secrets.length === 0) return void process.stderr.write('no secrets found\n');
      printTable(
        ['PATH', 'VERSION', 'UPDATED', 'BY', 'DESCRIPTION'],
        answer.secrets.map((secret) => [
          secret.path,
          String(secret.version),
          formatTime(secret.updatedAt),
          secret.updatedBy,
          secret.description ?? '',
        ]),
      );
    });

  secrets
    .command('delete')
    .description('delete a secret; jobs that use it fail until it is set again')
    .argument('<path>', 'the secret path')
    .action(async (path: string, _options: unknown, command: Command) => {
      const client = await connect(command);
      await client.delete(secretUrl(path));
      process.stderr.write(`secret ${path} deleted\n`);
    });

  secrets
    .command('rotate-key')
    .description('seal every secret under a new master key (administrators only)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.post<KeyRotationResponse>('/api/v1/secrets/rotate-key');
      if (options.output === 'json') return printJson(answer);
      process.stderr.write(
        `master key ${answer.keyId} now seals every secret (${answer.resealed} resealed, ${answer.unchanged} already under it)\n`,
      );
    });
}
