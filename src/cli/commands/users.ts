/** `baton users`: create, list, disable and enable users and service accounts. */
import type { Command } from 'commander';
import type { UserResponse, UsersResponse } from '../../contract/users.js';
import { OUTPUT_HELP, parseOutputFormat, printJson, printTable, type OutputFormat } from '../output.js';
import { connect } from '../session.js';
import { usageError } from '../errors.js';
import { readStdin } from './login.js';

/** The first line of stdin: `echo "$PASSWORD" | baton users create …` leaves a newline. */
async function passwordFromStdin(): Promise<string> {
  const text = await readStdin();
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw usageError('no password on stdin');
  return password;
}

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('users (people) and service accounts');

  users
    .command('create')
    .argument('<name>', 'lowercase letters, digits and dashes')
    .description('create a user, or with --service-account a service account (tokens only)')
    .option('--password-stdin', 'read the password from stdin (at least 12 characters)')
    .option('--service-account', 'create a service account: it cannot sign in and uses tokens')
    .option('--admin', 'make the user an administrator')
    .option('--display-name <text>', 'the name people see')
    .option('--email <address>', 'email address')
    .action(
      async (
        name: string,
        options: {
          passwordStdin?: boolean;
          serviceAccount?: boolean;
          admin?: boolean;
          displayName?: string;
          email?: string;
        },
        command: Command,
      ) => {
        if (options.passwordStdin && options.serviceAccount) {
          throw usageError('service accounts cannot have a password; create a token for them instead');
        }
        const password = options.passwordStdin ? await passwordFromStdin() : undefined;
        const client = await connect(command);
        const { user } = await client.post<UserResponse>('/api/v1/users', {
          name,
          kind: options.serviceAccount ? 'service' : 'user',
          admin: options.admin ?? false,
          ...(password === undefined ? {} : { password }),
          ...(options.displayName === undefined ? {} : { displayName: options.displayName }),
          ...(options.email === undefined ? {} : { email: options.email }),
        });
        const what = user.kind === 'service' ? 'service account' : user.isAdmin ? 'administrator' : 'user';
        process.stdout.write(`created ${what} ${user.name}\n`);
      },
    );

  users
    .command('list')
    .description('list users and service accounts (administrators see every field)')
    .option('--output <format>', OUTPUT_HELP, parseOutputFormat, 'text')
    .action(async (options: { output: OutputFormat }, command: Command) => {
      const client = await connect(command);
      const answer = await client.get<UsersResponse>('/api/v1/users');
      if (options.output === 'json') return printJson(answer);
      printTable(
        ['NAME', 'KIND', 'ADMIN', 'STATE', 'SIGN-IN', 'DISPLAY NAME'],
        answer.users.map((user) => [
          user.name,
          user.kind,
          user.isAdmin === undefined ? '-' : user.isAdmin ? 'yes' : 'no',
          user.disabled === undefined ? '-' : user.disabled ? 'disabled' : 'active',
          user.signIn?.join(',') ?? '-',
          user.displayName ?? '',
        ]),
      );
    });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(verb)
      .argument('<name>')
      .description(
        disabled
          ? 'disable a user or service account: their sessions and tokens stop working at once'
          : 'enable a disabled user or service account again',
      )
      .action(async (name: string, _options: unknown, command: Command) => {
        const client = await connect(command);
        const { user } = await client.patch<UserResponse>(`/api/v1/users/${encodeURIComponent(name)}`, {
          disabled,
        });
        process.stdout.write(`${disabled ? 'disabled' : 'enabled'} ${user.name}\n`);
      });
  }

  users
    .command('set-password')
    .argument('<name>')
    .description(
      'set a password from stdin: your own (current password on the first line, new on the second) or, as an administrator, anyone’s',
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const lines = (await readStdin()).split(/\r?\n/).filter((line) => line !== '');
      if (lines.length === 0 || lines.length > 2) {
        throw usageError(
          'expected on stdin the new password, or the current and the new password on two lines',
        );
      }
      const client = await connect(command);
      const body =
        lines.length === 2 ? { currentPassword: lines[0], password: lines[1] } : { password: lines[0] };
      await client.patch<UserResponse>(`/api/v1/users/${encodeURIComponent(name)}`, body);
      process.stdout.write(`password of ${name} changed\n`);
    });
}
