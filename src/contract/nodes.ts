/** Nodes and node sources on the wire: `GET /api/v1/nodes`, `/nodes/:name`, `/node-sources`. */
import { z } from 'zod';
import { boundedGlob, NODE_GLOB } from './glob.js';

export const nodeView = z.object({
  name: z.string(),
  source: z.string().nullable().describe('the NodeSource that brought it; null for a kind: Node document'),
  labels: z.record(z.string(), z.string()),
  hostname: z.string(),
  port: z.number(),
  user: z.string(),
  tags: z.array(z.string()),
  attributes: z.record(z.string(), z.string()),
  key: z.string().describe('path of the private key in the secret store (never its value)'),
  hostKey: z.array(z.string()).describe('pinned host keys or fingerprints from the spec'),
  trustOnFirstUse: z.boolean(),
  learnedHostKey: z
    .object({ hostKey: z.string(), fingerprint: z.string(), pinnedAt: z.string() })
    .nullable()
    .describe('the host key pinned on first use, when there is one'),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type NodeView = z.infer<typeof nodeView>;

export const nodeSourceView = z.object({
  name: z.string(),
  file: z.string().nullable(),
  url: z.string().nullable(),
  refresh: z.string(),
  nodeCount: z.number().describe('nodes it brought at the last good refresh'),
  lastRefreshAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  lastError: z
    .string()
    .nullable()
    .describe('why the last refresh failed (the last good nodes stay), or which names it skipped'),
  nextRefreshAt: z.string(),
});
export type NodeSourceView = z.infer<typeof nodeSourceView>;

export const nodesQuery = z.object({
  filter: z.string().optional().describe("run-time node filter, e.g. 'tags=web name=web-* attr.env=prod'"),
});
export type NodesQuery = z.infer<typeof nodesQuery>;

export const nodesResponse = z.object({ nodes: z.array(nodeView) });
export type NodesResponse = z.infer<typeof nodesResponse>;

export const nodeResponse = z.object({ node: nodeView });
export type NodeResponse = z.infer<typeof nodeResponse>;

export const nodeSourcesResponse = z.object({ sources: z.array(nodeSourceView) });
export type NodeSourcesResponse = z.infer<typeof nodeSourcesResponse>;

export const nodeSourceResponse = z.object({ source: nodeSourceView });
export type NodeSourceResponse = z.infer<typeof nodeSourceResponse>;

const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A node tag: what `tags:` of a node and of a node filter hold. */
export const nodeTag = z.string().max(63).regex(TAG_PATTERN, 'must be letters, digits, ".", "_" and "-"');

export const DEFAULT_PARALLELISM = 10;
export const MAX_PARALLELISM = 100;

/** Name, hostname and attribute globs; bounded so a filter cannot make matching expensive. */
const nodeGlob = boundedGlob(z.string().min(1).max(253), NODE_GLOB);

/** Which nodes a job's steps run on, and how: `spec.nodes` of a job, or a run request's filter. */
export const nodeFilter = z.strictObject({
  /** Node name glob(s); a node matches any of them. */
  name: z.union([nodeGlob, z.array(nodeGlob).min(1)]).optional(),
  /** Every one of these tags must be on the node. */
  tags: z.array(nodeTag).min(1).optional(),
  /** Attribute values (globs) that must all match. */
  attributes: z.record(z.string(), nodeGlob).optional(),
  hostname: nodeGlob.optional(),
  /** Nodes running at the same time. */
  parallelism: z.number().int().min(1).max(MAX_PARALLELISM).optional(),
  /** Go on with the other nodes after one fails (by default no further node starts). */
  keepGoing: z.boolean().optional(),
});
export type NodeFilter = z.output<typeof nodeFilter>;
