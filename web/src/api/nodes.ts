/** GET /api/v1/nodes and /api/v1/node-sources as the UI reads them. */

export interface Node {
  name: string;
  /** The NodeSource that brought it; null for a kind: Node document. */
  source: string | null;
  labels: Record<string, string>;
  hostname: string;
  port: number;
  user: string;
  tags: string[];
  attributes: Record<string, string>;
  /** Path of the private key in the secret store (never its value). */
  key: string;
  /** Pinned host keys or fingerprints from the spec. */
  hostKey: string[];
  trustOnFirstUse: boolean;
  /** The host key pinned on first use, when there is one. */
  learnedHostKey: { hostKey: string; fingerprint: string; pinnedAt: string } | null;
  updatedAt: string;
  updatedBy: string;
}

export interface NodeSource {
  name: string;
  file: string | null;
  url: string | null;
  refresh: string;
  /** Nodes it brought at the last good refresh. */
  nodeCount: number;
  lastRefreshAt: string | null;
  lastSuccessAt: string | null;
  /** Why the last refresh failed (the last good nodes stay), or which names it skipped. */
  lastError: string | null;
  nextRefreshAt: string;
}

/** A job's `spec.nodes`, as applied. */
export interface NodeFilterSpec {
  name?: string | string[];
  tags?: string[];
  attributes?: Record<string, string>;
  hostname?: string;
  parallelism?: number;
  keepGoing?: boolean;
}
