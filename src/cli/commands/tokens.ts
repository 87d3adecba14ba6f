/** `baton tokens`: create (the value is printed once), list and revoke API tokens. */
import { InvalidArgumentError, type Command } from 'commander';
import type {
  CreatedTokenResponse,
  TokenScopeView,
  TokensResponse,
  TokenView,
} from '../../contract/tokens.js';
import { parseCount } from '../arguments.js';
import {
  OUTPUT_HELP,
  formatTime,
  parseOutputFormat,
  printJson,
  printTable,
  type OutputFormat,
} from '../output.js';
import { connect } from '../session.js';

/** Collects repeated `--scope ACTION[:RESOURCE]`; the server checks actions and resource patterns. */
function collectScope(value: string, previous: readonly TokenScopeView[] = []): TokenScopeView[] {
  const colon = value.indexOf(':');
  const action = colon < 0 ? value : value.slice(0, colon);
  const resource = colon < 0 ? undefined : value.slice(colon + 1);
  if (!action || resource === '') {
    throw new InvalidArgumentError('expected ACTION[:RESOURCE], for example run:job/ops/*.');
  }
  return [...previous, resource === undefined ? { action } : { action, resource }];
}

function formatScopes(scopes: readonly TokenScopeView[] | null): string {
  if (!scopes) return 'all';
  return scopes
    .map((scope) => (scope.resource ? `${scope.action}:${scope.resource}` : scope.action))
    .join(' ');
}

function tokenState(token: TokenView, now = Date.now()): string {
  if (token.revokedAt) return `revoked ${formatTime(token.revokedAt)}`;
  if (token.expiresAt && Date.parse(token.expiresAt) <= now) return 'expired';
  return 'active';
}

export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('API tokens: create, list, revoke');

  tokens
    .command('create')
    .description(
      'create an API token and print it once on stdout (store it now: it is never shown again); ' +
        'tokens expire after 90 days unless --expires says otherwise',
    )
    .option('--name <name>', 'what the token is for', 'cli')
    .option('--user <name>', 'a token for another user or a service account (admins)')
    .option('--expires <duration>', 'lifetime: 30d, 12h; "never" for service accounts only')
    .option(
      '--scope <action[:resource]>',
      'limit the token, e.g. run:job/ops/* (repeatable; default: whatever the owner may)',
      collectScope,
    )
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(
      async (
        options: {
          name: string;
          user?: string;
          expires?: string;
          scope?: TokenScopeView[];
          output: OutputFormat;
        },
        command: Command,
      ) => {
        const client = await connect(command);
        const created = await client.post<CreatedTokenResponse>('/api/v1/tokens', {
          name: options.name,
          ...(options.user === undefined ? {} : { user: options.user }),
          ...(options.expires === undefined ? {} : { expires: options.expires }),
          ...(options.scope === undefined ? {} : { scopes: options.scope }),
        });
        if (options.output === 'json') return printJson(created);
        // The value alone on stdout, so `TOKEN=$(baton tokens create)` works; the rest is for people.
        process.stdout.write(`${created.token}\n`);
        process.stderr.write(
          `token ${created.id} "${created.name}" for ${created.owner}, ` +
            `expires ${created.expiresAt ? formatTime(created.expiresAt) : 'never'}, ` +
            `scopes: ${formatScopes(created.scopes)}\n` +
            'store it now: it is not shown again\n',
        );
      },
    );

  tokens
    .command('list', { isDefault: true })
    .description('list your tokens (admins: --user NAME or --all); never shows token values')
    .option('--user <name>', "another user's or service account's tokens (admins)")
    .option('--all', "everyone's tokens (admins)")
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { user?: string; all?: boolean; output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<TokensResponse>('/api/v1/tokens', {
        user: options.user,
        all: options.all ? 'true' : undefined,
      });
      if (options.output === 'json') return printJson(answer);
      if (answer.tokens.length === 0) return void process.stderr.write('no tokens\n');
      printTable(
        ['ID', 'NAME', 'PREFIX', 'OWNER', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE'],
        answer.tokens.map((token) => [
          String(token.id),
          token.name,
          `${token.prefix}…`,
          token.owner,
          formatScopes(token.scopes),
          formatTime(token.createdAt),
          token.expiresAt ? formatTime(token.expiresAt) : 'never',
          formatTime(token.lastUsedAt) || '-',
          tokenState(token),
        ]),
      );
    });

  tokens
    .command('revoke <id>')
    .description('revoke a token at once (yours, or any for admins)')
    .action(async (id: string, _options: unknown, command: Command) => {
      const tokenId = parseCount(id);
      const client = await connect(command);
      const token = await client.delete<TokenView>(`/api/v1/tokens/${tokenId}`);
      process.stderr.write(`revoked token ${token.id} "${token.name}" of ${token.owner}\n`);
    });
}
