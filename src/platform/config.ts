/**
 * Runtime configuration, resolved once from flags, then environment, then defaults.
 * Everything a process needs to know about its surroundings lives here.
 */
import path from 'node:path';
import os from 'node:os';
import { parseBytes } from './bytes.js';
import { parseDuration } from '../contract/time.js';
import { InputError } from './errors.js';
import { NAME_PATTERN } from './documents/fields.js';

export interface Config {
  /** Where SQLite and other local state live (`./.baton` by default). */
  dataDir: string;
  /** `postgres://…` to use PostgreSQL; undefined means SQLite under dataDir. */
  databaseUrl: string | undefined;
  host: string;
  port: number;
  /** Token for the bootstrap admin on first start; generated when absent. */
  adminToken: string | undefined;
  /** Password for the bootstrap admin on first start (the web UI's sign-in); generated when absent. */
  adminPassword: string | undefined;
  /** Apply examples/ on the first start of an empty database. */
  applyExamples: boolean;
  /** Run executions inside the server process. */
  embeddedWorker: boolean;
  workerConcurrency: number;
  /** Per-execution log cap in bytes; output past it is discarded with a marker. */
  logCapBytes: number;
  /** How deep job-in-job nesting may go before a run is stopped. */
  maxJobDepth: number;
  /** Time between SIGTERM and SIGKILL when a step's process tree is ended. */
  killGraceMs: number;
  /** How long a worker's claim on an execution lasts without renewal. */
  leaseMs: number;
  /** BATON_LOG_STREAMS_PER_USER: live log streams one user (or service account) may hold open at once. */
  logStreamsPerUser: number;
  /** BATON_LOG_STREAMS: live log streams this server holds open at once, all users together. */
  logStreams: number;
  /** Largest accepted request body. */
  bodyLimitBytes: number;
  /** How long finished executions and their logs are kept (projects may override). */
  retentionMs: number;
  /** BATON_AUDIT_RETENTION: how long audit records are kept, apart from executions; null: forever (`never`). */
  auditRetentionMs: number | null;
  /** On SIGTERM, how long running executions may finish before they are handed back. */
  drainMs: number;
  /** BATON_SLO_INTERVAL: how often SLOs are evaluated, once across all servers; 0 turns the evaluation off. */
  sloIntervalMs: number;
  logLevel: string;
  /** BATON_MASTER_KEY: the key that seals secrets (base64 or hex of 32 bytes); absent: `<dataDir>/master.key`. */
  masterKey: string | undefined;
  /** BATON_MASTER_KEY_PREVIOUS (comma-separated): older keys, still able to open secrets while rotating. */
  masterKeyPrevious: string[];
  /** The URL people reach Baton at (`https://baton.example.com`); OIDC redirects back to it. */
  publicUrl: string | undefined;
  /** Sign-in through an OpenID Connect provider; undefined when not configured. */
  oidc: OidcConfig | undefined;
  /**
   * BATON_TRUST_PROXY: which proxies' X-Forwarded-For/-Proto to believe, so the audit trail
   * records the client's address and cookies are Secure behind a TLS proxy: `true` (any) or
   * addresses/CIDRs separated by commas; absent: none.
   */
  trustProxy: boolean | string | undefined;
  /**
   * BATON_SLO_ALERT_PROJECT: the project of the alert events of SLOs that belong to none (OpenSLO
   * and Sloth documents have no project; a baton/v1 SLO's events are in its own). Who may view
   * the project sees them in the events list; rules of every project match them. Default `slos`.
   */
  sloAlertProject: string;
  /**
   * BATON_PROMETHEUS_URL: the Prometheus (`http://prometheus:9090`) for queries that name no
   * DataSource URL (Sloth files, OpenSLO metric sources without a DataSource): the apply checks
   * their PromQL there and the evaluation reads them from it. Undefined: such SLOs cannot be measured.
   */
  prometheusUrl: string | undefined;
  /** Notification deliveries: waits before each retry (its length + 1 is the number of attempts), and the per-attempt timeout. */
  notifications: { backoffMs: number[]; timeoutMs: number; pollMs: number };
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** What the sign-in page calls the provider ("Sign in with …"). */
  label: string;
  /** The ID token or userinfo claim that lists the user's groups. */
  groupsClaim: string;
  /** Provider group → Baton team; groups not listed map to the team of the same name. */
  teamMap: Record<string, string>;
}

export type ConfigOverrides = Partial<Config>;

type Env = Record<string, string | undefined>;

function envNumber(env: Env, name: string, parse: (text: string) => number | undefined): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = parse(raw);
  if (value === undefined || !Number.isFinite(value) || value < 0) {
    throw new InputError(`environment variable ${name} is invalid`, [
      { path: name, message: 'invalid value', found: JSON.stringify(raw) },
    ]);
  }
  return value;
}

const integer = (text: string) => (/^\d+$/.test(text) ? Number(text) : undefined);

/** Resolves the configuration: explicit overrides (flags) win over the environment, which wins over defaults. */
export function loadConfig(overrides: ConfigOverrides = {}, env: Env = process.env): Config {
  const dataDir = path.resolve(overrides.dataDir ?? env.BATON_DATA_DIR ?? '.baton');
  const pick = <K extends keyof Config>(key: K, fromEnv: Config[K] | undefined, fallback: Config[K]) =>
    overrides[key] ?? fromEnv ?? fallback;
  return {
    dataDir,
    databaseUrl: overrides.databaseUrl ?? (env.BATON_DATABASE_URL || undefined),
    host: pick('host', env.BATON_HOST, '127.0.0.1'),
    port: pick('port', envNumber(env, 'BATON_PORT', integer), 8080),
    adminToken: overrides.adminToken ?? (env.BATON_ADMIN_TOKEN || undefined),
    adminPassword: overrides.adminPassword ?? (env.BATON_ADMIN_PASSWORD || undefined),
    applyExamples: pick(
      'applyExamples',
      env.BATON_SKIP_EXAMPLES ? env.BATON_SKIP_EXAMPLES === '0' : undefined,
      true,
    ),
    embeddedWorker: pick('embeddedWorker', undefined, true),
    workerConcurrency: pick(
      'workerConcurrency',
      envNumber(env, 'BATON_WORKER_CONCURRENCY', integer),
      Math.max(4, os.availableParallelism() * 4),
    ),
    logCapBytes: pick('logCapBytes', envNumber(env, 'BATON_LOG_CAP', parseBytes), 100 * 1024 * 1024),
    maxJobDepth: pick('maxJobDepth', envNumber(env, 'BATON_MAX_JOB_DEPTH', integer), 5),
    killGraceMs: pick('killGraceMs', envNumber(env, 'BATON_KILL_GRACE', parseDuration), 5_000),
    leaseMs: pick('leaseMs', envNumber(env, 'BATON_LEASE', parseDuration), 30_000),
    logStreamsPerUser: pick('logStreamsPerUser', envNumber(env, 'BATON_LOG_STREAMS_PER_USER', integer), 20),
    logStreams: pick('logStreams', envNumber(env, 'BATON_LOG_STREAMS', integer), 200),
    bodyLimitBytes: pick('bodyLimitBytes', envNumber(env, 'BATON_BODY_LIMIT', parseBytes), 10 * 1024 * 1024),
    retentionMs: pick('retentionMs', envNumber(env, 'BATON_RETENTION', parseDuration), 30 * 86_400_000),
    auditRetentionMs:
      overrides.auditRetentionMs !== undefined
        ? overrides.auditRetentionMs
        : env.BATON_AUDIT_RETENTION === 'never'
          ? null
          : (envNumber(env, 'BATON_AUDIT_RETENTION', parseDuration) ?? 400 * 86_400_000),
    drainMs: pick('drainMs', envNumber(env, 'BATON_DRAIN_TIMEOUT', parseDuration), 30_000),
    sloIntervalMs: pick('sloIntervalMs', envNumber(env, 'BATON_SLO_INTERVAL', parseDuration), 60_000),
    logLevel: pick('logLevel', env.BATON_LOG_LEVEL, 'info'),
    masterKey: overrides.masterKey ?? (env.BATON_MASTER_KEY || undefined),
    masterKeyPrevious:
      overrides.masterKeyPrevious ??
      (env.BATON_MASTER_KEY_PREVIOUS ?? '')
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    publicUrl: overrides.publicUrl ?? (env.BATON_PUBLIC_URL || undefined),
    oidc: overrides.oidc ?? oidcFromEnv(env),
    trustProxy: overrides.trustProxy ?? trustProxyFromEnv(env.BATON_TRUST_PROXY),
    sloAlertProject: overrides.sloAlertProject ?? projectFromEnv(env, 'BATON_SLO_ALERT_PROJECT', 'slos'),
    prometheusUrl: overrides.prometheusUrl ?? httpUrlFromEnv(env, 'BATON_PROMETHEUS_URL'),
    notifications: overrides.notifications ?? {
      backoffMs: [10_000, 60_000, 300_000, 1_800_000],
      timeoutMs: 10_000,
      pollMs: 1_000,
    },
  };
}

/** A project name from the environment, or the fallback when the variable is unset or empty. */
function projectFromEnv(env: Env, name: string, fallback: string): string {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!NAME_PATTERN.test(text) || text.length > 63) {
    throw new InputError(`environment variable ${name} is invalid`, [
      {
        path: name,
        message:
          'expected a project name: lowercase letters, digits and dashes, starting with a letter or digit',
        found: JSON.stringify(text),
      },
    ]);
  }
  return text;
}

/** An http(s) URL from the environment (trailing slashes dropped), or undefined when unset or empty. */
function httpUrlFromEnv(env: Env, name: string): string | undefined {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new InputError(`environment variable ${name} is invalid`, [
      { path: name, message: 'expected an http:// or https:// URL', found: JSON.stringify(text) },
    ]);
  }
  // The URL shows up in apply warnings and SLO errors: credentials in it would leak there.
  if (url.username !== '' || url.password !== '') {
    throw new InputError(`environment variable ${name} is invalid`, [
      {
        path: name,
        message: 'expected a URL without credentials (user:password@)',
        found: `${url.protocol}//…@${url.host}`,
      },
    ]);
  }
  return text.replace(/\/+$/, '');
}

function trustProxyFromEnv(text: string | undefined): Config['trustProxy'] {
  if (text === undefined || text === '' || text === 'false') return undefined;
  if (text === 'true') return true;
  if (!/^[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*$/.test(text)) {
    throw new InputError('environment variable BATON_TRUST_PROXY is invalid', [
      {
        path: 'BATON_TRUST_PROXY',
        message: 'expected true, or addresses and CIDRs separated by commas',
        found: JSON.stringify(text),
      },
    ]);
  }
  return text;
}

/** OIDC settings from BATON_OIDC_*; all of issuer and client id, or none. */
function oidcFromEnv(env: Env): OidcConfig | undefined {
  const issuer = env.BATON_OIDC_ISSUER || undefined;
  const clientId = env.BATON_OIDC_CLIENT_ID || undefined;
  if (!issuer && !clientId) return undefined;
  if (!issuer || !clientId) {
    const missing = issuer ? 'BATON_OIDC_CLIENT_ID' : 'BATON_OIDC_ISSUER';
    throw new InputError(`environment variable ${missing} is required when OIDC is configured`, [
      { path: missing, message: 'missing' },
    ]);
  }
  return {
    issuer,
    clientId,
    clientSecret: env.BATON_OIDC_CLIENT_SECRET || undefined,
    label: env.BATON_OIDC_LABEL || 'single sign-on',
    groupsClaim: env.BATON_OIDC_GROUPS_CLAIM || 'groups',
    teamMap: parseTeamMap(env.BATON_OIDC_TEAM_MAP ?? ''),
  };
}

/** `ops-admins=sre,payments-devs=payments` → { 'ops-admins': 'sre', 'payments-devs': 'payments' }. */
function parseTeamMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [group, team, extra] = entry.split('=').map((part) => part.trim());
    if (!group || !team || extra !== undefined) {
      throw new InputError('environment variable BATON_OIDC_TEAM_MAP is invalid', [
        {
          path: 'BATON_OIDC_TEAM_MAP',
          message: 'expected GROUP=TEAM pairs separated by commas',
          found: JSON.stringify(entry),
        },
      ]);
    }
    map[group] = team;
  }
  return map;
}
