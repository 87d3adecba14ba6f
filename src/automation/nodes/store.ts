/** SQL for nodes, node sources and pinned host keys. */
import type { Selectable } from 'kysely';
import { readJson } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { NodeSourcesTable, NodesTable } from '../../platform/db/schema.js';
import type { ExecutionState } from '../executions/model.js';
import type { Node, NodeSource, NodeSourceSpec, NodeSpec } from './model.js';

type NodeRow = Selectable<NodesTable>;
type SourceRow = Selectable<NodeSourcesTable>;
const date = (ms: number | null) => (ms === null ? null : new Date(Number(ms)));

export function toNode(row: NodeRow): Node {
  return {
    name: row.name,
    sourceName: row.source_name,
    labels: readJson<Record<string, string>>(row.labels),
    spec: readJson<NodeSpec>(row.spec),
    updatedAt: new Date(Number(row.updated_at)),
    updatedBy: row.updated_by,
  };
}

function toSource(row: SourceRow): NodeSource {
  return {
    name: row.name,
    spec: readJson<NodeSourceSpec>(row.spec),
    nextRefreshAt: new Date(Number(row.next_refresh_at)),
    lastRefreshAt: date(row.last_refresh_at),
    lastSuccessAt: date(row.last_success_at),
    lastError: row.last_error,
    nodeCount: row.node_count,
    updatedBy: row.updated_by,
  };
}

export async function listNodes(db: Db): Promise<Node[]> {
  return (await db.selectFrom('nodes').selectAll().orderBy('name').execute()).map(toNode);
}

export async function getNode(db: Db, name: string): Promise<Node | undefined> {
  const row = await db.selectFrom('nodes').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toNode(row);
}

/** A node document's stored row with its digest (for apply's diff), when the document exists. */
export async function getNodeDocument(
  db: Db,
  name: string,
): Promise<{ node: Node; digest: string } | undefined> {
  const row = await db
    .selectFrom('nodes')
    .selectAll()
    .where('name', '=', name)
    .where('source_name', 'is', null)
    .executeTakeFirst();
  return row && { node: toNode(row), digest: row.digest };
}

export async function listNodeDocumentNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('nodes').select('name').where('source_name', 'is', null).execute();
  return rows.map((row) => row.name);
}

export interface SavedNode {
  name: string;
  labels: Record<string, string>;
  spec: NodeSpec;
  source: string;
  digest: string;
  actor: string;
  now: number;
}

/**
 * Saves a node document. A node of the same name that a source brought is replaced: documents
 * win over sources (the source's next refresh reports the clash).
 */
export async function saveNodeDocument(db: Db, node: SavedNode): Promise<void> {
  await db.deleteFrom('nodes').where('name', '=', node.name).where('source_name', 'is not', null).execute();
  const values = {
    labels: JSON.stringify(node.labels),
    spec: JSON.stringify(node.spec),
    source: node.source,
    digest: node.digest,
    updated_at: node.now,
    updated_by: node.actor,
  };
  await db
    .insertInto('nodes')
    .values({ name: node.name, source_name: null, created_at: node.now, ...values })
    .onConflict((oc) => oc.column('name').doUpdateSet(values))
    .execute();
}

export async function deleteNodeDocument(db: Db, name: string): Promise<void> {
  await db.deleteFrom('nodes').where('name', '=', name).where('source_name', 'is', null).execute();
  await db.deleteFrom('node_host_keys').where('node', '=', name).execute();
}

/** The host key pinned on first use, if any. */
export async function getPinnedHostKey(
  db: Db,
  node: string,
): Promise<{ hostKey: string; fingerprint: string; pinnedAt: Date } | undefined> {
  const row = await db
    .selectFrom('node_host_keys')
    .select(['host_key', 'fingerprint', 'pinned_at'])
    .where('node', '=', node)
    .executeTakeFirst();
  return (
    row && { hostKey: row.host_key, fingerprint: row.fingerprint, pinnedAt: new Date(Number(row.pinned_at)) }
  );
}

/** The host keys pinned on first use of these nodes, by node name, in one query. */
export async function listPinnedHostKeys(
  db: Db,
  nodes: readonly string[],
): Promise<Map<string, { hostKey: string; fingerprint: string; pinnedAt: Date }>> {
  if (nodes.length === 0) return new Map();
  const rows = await db
    .selectFrom('node_host_keys')
    .select(['node', 'host_key', 'fingerprint', 'pinned_at'])
    .where('node', 'in', nodes)
    .execute();
  return new Map(
    rows.map((row) => [
      row.node,
      { hostKey: row.host_key, fingerprint: row.fingerprint, pinnedAt: new Date(Number(row.pinned_at)) },
    ]),
  );
}

/**
 * Pins a host key unless one is pinned already, and returns the pinned one: when two workers
 * meet a node first at the same time, one insert wins and both compare against it.
 */
export async function pinHostKey(
  db: Db,
  node: string,
  hostKey: string,
  fingerprint: string,
  now: number,
): Promise<{ hostKey: string; fingerprint: string }> {
  await db
    .insertInto('node_host_keys')
    .values({ node, host_key: hostKey, fingerprint, pinned_at: now })
    .onConflict((oc) => oc.column('node').doNothing())
    .execute();
  return (await getPinnedHostKey(db, node))!;
}

/** Forgets a pinned key (an operator re-keyed the machine): the next connection pins again. */
export async function forgetHostKey(db: Db, node: string): Promise<boolean> {
  const result = await db.deleteFrom('node_host_keys').where('node', '=', node).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// Node sources.

export async function listNodeSources(db: Db): Promise<NodeSource[]> {
  return (await db.selectFrom('node_sources').selectAll().orderBy('name').execute()).map(toSource);
}

export async function getNodeSource(
  db: Db,
  name: string,
): Promise<{ source: NodeSource; digest: string } | undefined> {
  const row = await db.selectFrom('node_sources').selectAll().where('name', '=', name).executeTakeFirst();
  return row && { source: toSource(row), digest: row.digest };
}

export async function saveNodeSource(
  db: Db,
  source: { name: string; spec: NodeSourceSpec; source: string; digest: string; actor: string; now: number },
): Promise<void> {
  const values = {
    spec: JSON.stringify(source.spec),
    source: source.source,
    digest: source.digest,
    // A changed source is fetched at once.
    next_refresh_at: source.now,
    updated_at: source.now,
    updated_by: source.actor,
  };
  await db
    .insertInto('node_sources')
    .values({ name: source.name, created_at: source.now, ...values })
    .onConflict((oc) => oc.column('name').doUpdateSet(values))
    .execute();
}

/** Deletes a source and the nodes it brought. */
export async function deleteNodeSource(db: Db, name: string): Promise<void> {
  await db.deleteFrom('nodes').where('source_name', '=', name).execute();
  await db.deleteFrom('node_sources').where('name', '=', name).execute();
}

/** Names of sources due for a refresh. */
export async function listDueSources(db: Db, now: number): Promise<string[]> {
  const rows = await db
    .selectFrom('node_sources')
    .select('name')
    .where('next_refresh_at', '<=', now)
    .execute();
  return rows.map((row) => row.name);
}

/**
 * Claims a due refresh in one conditional update: moving `next_refresh_at` forward means the
 * other servers no longer see it due, so one of them fetches. True when this caller won.
 */
export async function claimRefresh(db: Db, name: string, now: number, until: number): Promise<boolean> {
  const result = await db
    .updateTable('node_sources')
    .set({ next_refresh_at: until, last_refresh_at: now })
    .where('name', '=', name)
    .where('next_refresh_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Makes a source due at `now` (a refresh asked for by hand). */
export async function makeSourceDue(db: Db, name: string, now: number): Promise<void> {
  await db.updateTable('node_sources').set({ next_refresh_at: now }).where('name', '=', name).execute();
}

/** Records a failed refresh; the nodes of the last good fetch stay. */
export async function recordRefreshError(db: Db, name: string, error: string, nextAt: number): Promise<void> {
  await db
    .updateTable('node_sources')
    .set({ last_error: error, next_refresh_at: nextAt })
    .where('name', '=', name)
    .execute();
}

/**
 * Replaces the nodes a source brought with a new set, in one transaction. Names held by a node
 * document or another source are skipped (documents win; the first source keeps a name) and
 * returned, so the refresh can report them.
 */
export async function replaceSourceNodes(
  db: Db,
  name: string,
  nodes: { name: string; spec: NodeSpec; digest: string }[],
  outcome: { now: number; nextAt: number; warning: (skipped: string[]) => string | null },
): Promise<{ skipped: string[] }> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('nodes').where('source_name', '=', name).execute();
    const names = nodes.map((node) => node.name);
    const taken =
      names.length === 0
        ? []
        : await trx.selectFrom('nodes').select(['name', 'source_name']).where('name', 'in', names).execute();
    const takenNames = new Set(taken.map((row) => row.name));
    const kept = nodes.filter((node) => !takenNames.has(node.name));
    if (kept.length > 0) {
      await trx
        .insertInto('nodes')
        .values(
          kept.map((node) => ({
            name: node.name,
            source_name: name,
            labels: '{}',
            spec: JSON.stringify(node.spec),
            source: '',
            digest: node.digest,
            created_at: outcome.now,
            updated_at: outcome.now,
            updated_by: `nodesource/${name}`,
          })),
        )
        .execute();
    }
    const skipped = taken.map((row) =>
      row.source_name === null ? `${row.name} (a Node document)` : `${row.name} (source ${row.source_name})`,
    );
    await trx
      .updateTable('node_sources')
      .set({
        last_success_at: outcome.now,
        last_error: outcome.warning(skipped),
        node_count: kept.length,
        next_refresh_at: outcome.nextAt,
      })
      .where('name', '=', name)
      .execute();
    return { skipped };
  });
}

/** One node's part of a fan-out: its child execution. */
export interface NodeRun {
  node: string;
  executionId: number;
  state: ExecutionState;
  exitCode: number | null;
  reason: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The child executions of a fan-out parent, by node name. */
export async function listNodeRuns(db: Db, parentId: number): Promise<NodeRun[]> {
  const rows = await db
    .selectFrom('executions')
    .select(['id', 'node', 'state', 'exit_code', 'reason', 'started_at', 'finished_at'])
    .where('parent_id', '=', parentId)
    .where('node', 'is not', null)
    .orderBy('node')
    .execute();
  return rows.map((row) => ({
    node: row.node!,
    executionId: row.id,
    state: row.state as ExecutionState,
    exitCode: row.exit_code,
    reason: row.reason,
    startedAt: row.started_at === null ? null : new Date(Number(row.started_at)),
    finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)),
  }));
}
