/**
 * Where the CLI finds its server and token: flags, then BATON_URL / BATON_TOKEN, then the file
 * `baton login` wrote. The saved token is only sent to the URL it was saved for, so pointing
 * BATON_URL at another server never hands that server your token.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT_CODES, usageError } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

type Env = Record<string, string | undefined>;

/** What a command needs to reach Baton. */
export interface ClientSettings {
  url: string;
  token: string | undefined;
  /** The URL of a saved login whose token was not used because it is for another server. */
  savedLoginUrl?: string;
}

/** The contents of the config file. */
export interface SavedLogin {
  url: string;
  token: string;
}

/** The global `--url` and `--token` flags. */
export interface GlobalFlags {
  url?: string;
  token?: string;
}

/** `$XDG_CONFIG_HOME/baton/config.json`, else `~/.config/baton/config.json`. */
export function configFilePath(env: Env = process.env): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'baton', 'config.json');
}

/** Checks a server URL and drops trailing slashes, so `…:8080/` and `…:8080` are the same server. */
export function normalizeUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`invalid URL "${text}" (expected http://host:port or https://host)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`invalid URL "${text}" (expected http:// or https://)`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The saved login, or undefined when there is none. */
export async function readSavedLogin(file = configFilePath()): Promise<SavedLogin | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT_CODES.failure);
  }
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON; run baton login again`, EXIT_CODES.failure);
  }
  const { url, token } = (saved ?? {}) as Partial<Record<keyof SavedLogin, unknown>>;
  if (typeof url !== 'string' || typeof token !== 'string') {
    throw new CliError(`${file} has no "url" and "token"; run baton login again`, EXIT_CODES.failure);
  }
  return { url, token };
}

/** Writes the login readable by its owner only (0600, directory 0700), replacing any earlier one. */
export async function saveLogin(login: SavedLogin, file = configFilePath()): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // Written beside the target and renamed over it: the token is never in a file with wider
  // permissions, and a crash mid-write never leaves half a config behind.
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    await fs.chmod(temporary, 0o600);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new CliError(`cannot write ${file}: ${(error as Error).message}`, EXIT_CODES.failure);
  }
}

/** Resolves URL and token: flags win over the environment, which wins over the saved login. */
export async function resolveSettings(flags: GlobalFlags, env: Env = process.env): Promise<ClientSettings> {
  const saved = await readSavedLogin(configFilePath(env));
  const url = normalizeUrl(flags.url ?? (env.BATON_URL || undefined) ?? saved?.url ?? DEFAULT_URL);
  const savedUrl = saved ? normalizeUrl(saved.url) : undefined;
  const savedToken = savedUrl === url ? saved?.token : undefined;
  return {
    url,
    token: flags.token ?? (env.BATON_TOKEN || undefined) ?? savedToken,
    ...(savedUrl !== undefined && savedUrl !== url ? { savedLoginUrl: savedUrl } : {}),
  };
}
