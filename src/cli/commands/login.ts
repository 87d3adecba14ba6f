/** `baton login`: checks a token against a server and saves both for later commands. */
import type { Command } from 'commander';
import type { WhoamiResponse } from '../../contract/users.js';
import { BatonClient } from '../client.js';
import { configFilePath, DEFAULT_URL, normalizeUrl, saveLogin, type GlobalFlags } from '../config.js';
import { usageError } from '../errors.js';

/** Reads all of stdin, for secrets that should not appear in argv or shell history. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerLoginCommand(program: Command): void {
  program
    .command('login')
    .description('check a token with the server and save URL and token for later commands')
    .option('--token-stdin', 'read the token from stdin (keeps it out of ps and shell history)')
    .addHelpText(
      'after',
      `
The URL is --url, else BATON_URL, else ${DEFAULT_URL}; the token is --token, --token-stdin
or BATON_TOKEN. They are saved, readable only by you, in
  ${configFilePath()}
BATON_URL and BATON_TOKEN still win over the saved login when set.`,
    )
    .action(async (options: { tokenStdin?: boolean }, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const url = normalizeUrl(flags.url ?? (process.env.BATON_URL || DEFAULT_URL));
      if (flags.token !== undefined && options.tokenStdin) {
        throw usageError('give the token with --token or --token-stdin, not both');
      }
      const token = (
        options.tokenStdin ? await readStdin() : (flags.token ?? process.env.BATON_TOKEN ?? '')
      ).trim();
      if (!token) {
        throw usageError('no token: pass --token-stdin (or --token TOKEN, or set BATON_TOKEN)');
      }
      const { user } = await new BatonClient({ url, token }).get<WhoamiResponse>('/api/v1/whoami');
      await saveLogin({ url, token });
      process.stdout.write(`logged in to ${url} as ${user.name}\n`);
    });
}
