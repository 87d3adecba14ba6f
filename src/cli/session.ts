/** The client a command talks through: its server and token from flags, environment and saved login. */
import type { Command } from 'commander';
import { BatonClient } from './client.js';
import { resolveSettings, type GlobalFlags } from './config.js';

/** A client for the command's `--url`/`--token` (on it or on the program), BATON_URL/BATON_TOKEN, or the saved login. */
export async function connect(command: Command): Promise<BatonClient> {
  return new BatonClient(await resolveSettings(command.optsWithGlobals<GlobalFlags>()));
}
