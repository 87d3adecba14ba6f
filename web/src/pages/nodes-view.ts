/** How nodes, their host keys, sources and filters read on the Nodes and Job pages. Pure. */
import { formatTime } from '../format';
import type { Node, NodeFilterSpec, NodeSource } from '../api/nodes';

export interface HostKeyStatus {
  /** A few words for the cell. */
  label: string;
  /** `bad` when a connection will be refused until someone pins a key. */
  tone: 'ok' | 'muted' | 'bad';
  /** The key or fingerprint behind it, for a tooltip. */
  detail: string | null;
}

/** Whether a node's host key is checked, and against what. */
export function hostKeyStatus(
  node: Pick<Node, 'hostKey' | 'trustOnFirstUse' | 'learnedHostKey'>,
): HostKeyStatus {
  if (node.hostKey.length > 0) {
    return {
      label: node.hostKey.length === 1 ? 'pinned' : `pinned (${node.hostKey.length} keys)`,
      tone: 'ok',
      detail: node.hostKey.join('\n'),
    };
  }
  if (node.learnedHostKey) {
    return {
      label: `pinned on first use, ${formatTime(node.learnedHostKey.pinnedAt)}`,
      tone: 'ok',
      detail: node.learnedHostKey.fingerprint,
    };
  }
  if (node.trustOnFirstUse) {
    return { label: 'trust on first use, not yet seen', tone: 'muted', detail: null };
  }
  return {
    label: 'none: connections are refused',
    tone: 'bad',
    detail: 'pin spec.hostKey (ssh-keyscan prints it) or set trustOnFirstUse',
  };
}

/** `env=prod`, sorted by key, as a person would type them in a filter. */
export function attributePairs(attributes: Record<string, string>): string[] {
  return Object.entries(attributes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
}

/**
 * The run-time filter text (`tags=web,db name=web-* attr.env=prod`) that selects the same nodes as
 * a job's `spec.nodes`, for a link to the Nodes page; empty when it selects every node. How many
 * run at once and whether to keep going are not about which nodes, so they are left out.
 */
export function nodeFilterText(filter: NodeFilterSpec): string {
  const terms: string[] = [];
  if (filter.name !== undefined) terms.push(`name=${[filter.name].flat().join(',')}`);
  if (filter.tags?.length) terms.push(`tags=${filter.tags.join(',')}`);
  if (filter.hostname !== undefined) terms.push(`hostname=${filter.hostname}`);
  for (const [key, value] of Object.entries(filter.attributes ?? {})) terms.push(`attr.${key}=${value}`);
  return terms.join(' ');
}

/** A job's `spec.nodes` in plain words: which nodes, how many at once, what a failure does. */
export function describeNodeFilter(filter: NodeFilterSpec): string {
  const conditions: string[] = [];
  if (filter.name !== undefined) {
    const names = [filter.name].flat();
    conditions.push(
      names.length === 1 ? `named ${names[0]}` : `named ${names.slice(0, -1).join(', ')} or ${names.at(-1)}`,
    );
  }
  if (filter.tags?.length) {
    conditions.push(`tagged ${filter.tags.join(' and ')}`);
  }
  if (filter.hostname !== undefined) conditions.push(`with hostname ${filter.hostname}`);
  const attributes = Object.entries(filter.attributes ?? {});
  if (attributes.length > 0) {
    conditions.push(`with ${attributes.map(([key, value]) => `${key} ${value}`).join(' and ')}`);
  }
  const which = conditions.length === 0 ? 'every node' : `the nodes ${conditions.join(', ')}`;
  // The server's DEFAULT_PARALLELISM (src/automation/nodes/model.ts).
  const parallelism = filter.parallelism ?? 10;
  const atOnce = parallelism === 1 ? 'one at a time' : `up to ${parallelism} at once`;
  const onFailure = filter.keepGoing
    ? 'every node runs even after one fails'
    : 'no further node starts after one fails';
  return `Runs its steps on ${which}, ${atOnce}; ${onFailure}.`;
}

/** Where a node source reads from, in a few words. */
export function sourceLocation(source: Pick<NodeSource, 'file' | 'url'>): string {
  return source.url ?? source.file ?? '—';
}
