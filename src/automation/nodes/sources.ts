/**
 * Node sources: a file or URL holding a YAML or JSON list (or map by name) of nodes, refreshed
 * on every server's loop. A due source is claimed with a conditional update, so one server
 * fetches it; its nodes replace the previous set in one transaction. A failed fetch or invalid
 * content keeps the last good set and records the error on the source.
 */
import fs from 'node:fs/promises';
import { parse } from 'yaml';
import { openSecret } from '../secrets/delivery.js';
import type { Keyring } from '../../access/secrets/keyring.js';
import { digestOf } from '../../platform/canonical-json.js';
import type { Db } from '../../platform/db/database.js';
import { parseDuration } from '../../contract/time.js';
import { NAME_PATTERN } from '../../platform/documents/fields.js';
import { formatPath } from '../../platform/documents/source.js';
import { findShapeFlaw } from '../../platform/json-shape.js';
import { coerceError, describeFetchError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import { nodeSpec, type NodeSource, type NodeSpec } from './model.js';
import {
  claimRefresh,
  getNodeSource,
  listDueSources,
  makeSourceDue,
  recordRefreshError,
  replaceSourceNodes,
} from './store.js';

/** Bytes a source may hold; a larger one is refused rather than parsed. */
export const MAX_SOURCE_BYTES = 4 * 1024 * 1024;
/** How long a URL fetch may take. */
export const SOURCE_FETCH_TIMEOUT_MS = 15_000;
/** How long a claimed refresh is kept from other servers; a server that dies mid-fetch frees it after this. */
const CLAIM_MS = 60_000;
const TICK_MS = 5_000;

export interface NodeSourceRefresherOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
}

/** Reads a source's content: the file, or the URL with its secret headers, within the size cap. */
async function fetchContent(db: Db, keyring: Keyring, source: NodeSource): Promise<string> {
  if (source.spec.file !== undefined) {
    const stat = await fs.stat(source.spec.file);
    if (stat.size > MAX_SOURCE_BYTES)
      throw new Error(`${source.spec.file} is larger than ${MAX_SOURCE_BYTES} bytes`);
    return fs.readFile(source.spec.file, 'utf8');
  }
  const headers: Record<string, string> = { accept: 'application/json, application/yaml, text/yaml, */*' };
  const named = Object.entries(source.spec.headers ?? {});
  if (named.length > 0) {
    for (const [header, secretPath] of named) headers[header] = await openSecret(db, keyring, secretPath);
  }
  let response: Response;
  try {
    response = await fetch(source.spec.url!, {
      headers,
      signal: AbortSignal.timeout(SOURCE_FETCH_TIMEOUT_MS),
      // A redirect would carry the secret headers to wherever it points: refused when there are any.
      redirect: named.length > 0 ? 'error' : 'follow',
    });
  } catch (error) {
    throw new Error(`GET ${source.spec.url} failed: ${describeFetchError(error, SOURCE_FETCH_TIMEOUT_MS)}`);
  }
  if (!response.ok)
    throw new Error(`GET ${source.spec.url} answered ${response.status} ${response.statusText}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_SOURCE_BYTES)
    throw new Error(`${source.spec.url} is larger than ${MAX_SOURCE_BYTES} bytes`);
  // Read in pieces so that a server that lies about its length cannot fill memory.
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > MAX_SOURCE_BYTES)
      throw new Error(`${source.spec.url} is larger than ${MAX_SOURCE_BYTES} bytes`);
    chunks.push(chunk as Uint8Array);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The nodes a source's content lists, with the source's defaults applied. Throws with the
 * entry and field at fault; one bad entry refuses the whole content (a half list would make
 * nodes vanish).
 */
export function parseSourceNodes(
  content: string,
  defaults: NodeSource['spec']['defaults'],
): { name: string; spec: NodeSpec }[] {
  let value: unknown;
  try {
    value = parse(content);
  } catch (error) {
    throw new Error(`not valid YAML or JSON: ${coerceError(error).message.split('\n')[0]}`);
  }
  // As for documents applied by hand: an attribute named `constructor` or a list nested
  // thousands deep is refused with its place, not stored differently or left to overflow later.
  const flaw = findShapeFlaw(value, { refusePrototypeKeys: true });
  if (flaw) throw new Error(`${formatPath(flaw.path) || 'content'}: ${flaw.message}`);
  let entries: [string, unknown][];
  if (Array.isArray(value)) {
    entries = value.map((entry, index) => {
      const name = (entry as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') throw new Error(`entry ${index + 1} has no name`);
      const { name: _name, ...rest } = entry as Record<string, unknown>;
      return [name, rest];
    });
  } else if (value !== null && typeof value === 'object') {
    entries = Object.entries(value as Record<string, unknown>);
  } else {
    throw new Error('expected a list of nodes (each with a name) or a map from node name to node');
  }
  const seen = new Set<string>();
  return entries.map(([name, entry]) => {
    if (!NAME_PATTERN.test(name) || name.length > 63) {
      throw new Error(`node name "${name}" must be lowercase letters, digits and dashes`);
    }
    if (seen.has(name)) throw new Error(`node ${name} is listed twice`);
    seen.add(name);
    const given = (entry ?? {}) as Record<string, unknown>;
    const merged = {
      ...defaults,
      ...given,
      tags: [...new Set([...(defaults.tags ?? []), ...((given.tags as string[] | undefined) ?? [])])],
      attributes: { ...defaults.attributes, ...(given.attributes as Record<string, unknown> | undefined) },
    };
    const parsed = nodeSpec.safeParse(merged);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`node ${name}: ${issue.path.join('.') || 'entry'}: ${issue.message}`);
    }
    return { name, spec: parsed.data };
  });
}

/** Refreshes due node sources every few seconds; every server runs one. */
export class NodeSourceRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: NodeSourceRefresherOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), TICK_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): Promise<void> {
    this.running ??= this.refreshDue()
      .then(() => undefined)
      .catch((error: unknown) =>
        this.options.logger.warn({ err: coerceError(error) }, 'refreshing node sources failed'),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Refreshes every due source this server wins the claim of; returns their names. */
  async refreshDue(now = Date.now()): Promise<string[]> {
    const refreshed: string[] = [];
    for (const name of await listDueSources(this.options.db, now)) {
      if (await this.refreshClaimed(name, now)) refreshed.push(name);
    }
    return refreshed;
  }

  /** Makes a source due now and refreshes it (`baton nodes sources refresh`); false when another server has it. */
  async refreshNow(name: string): Promise<boolean> {
    const now = Date.now();
    await makeSourceDue(this.options.db, name, now);
    return this.refreshClaimed(name, now);
  }

  private async refreshClaimed(name: string, now: number): Promise<boolean> {
    const { db, keyring, logger } = this.options;
    if (!(await claimRefresh(db, name, now, now + CLAIM_MS))) return false;
    const stored = await getNodeSource(db, name);
    if (!stored) return false;
    const source = stored.source;
    const nextAt = now + (parseDuration(source.spec.refresh) ?? 300_000);
    try {
      const nodes = parseSourceNodes(await fetchContent(db, keyring, source), source.spec.defaults);
      await replaceSourceNodes(
        db,
        name,
        nodes.map((node) => ({ ...node, digest: digestOf(node.spec) })),
        {
          now,
          nextAt,
          warning: (skipped) =>
            skipped.length === 0
              ? null
              : `skipped ${skipped.join(', ')}: the name is taken (Node documents win over sources; between sources the first keeps it)`,
        },
      );
    } catch (error) {
      const message = coerceError(error).message;
      logger.warn({ source: name, err: message }, 'node source refresh failed; keeping its last good nodes');
      await recordRefreshError(db, name, message, nextAt);
    }
    return true;
  }
}
