/**
 * Nodes: the machines job steps reach over SSH, as `kind: Node` documents or brought by a
 * `kind: NodeSource`; and the node filter a job (`spec.nodes`) or a run request uses to pick them.
 */
import { z } from 'zod';
import { durationUpTo, resourceName } from '../../platform/documents/fields.js';
import { nodeTag } from '../../contract/nodes.js';
import { secretPath } from '../../access/secrets/model.js';

/** OpenSSH public key as in known_hosts (`ssh-ed25519 AAAA…`), or its `SHA256:…` fingerprint. */
const HOST_KEY_PATTERN =
  /^(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,2}( .*)?$/;
const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

const hostKey = z
  .string()
  .refine((text) => HOST_KEY_PATTERN.test(text.trim()) || FINGERPRINT_PATTERN.test(text.trim()), {
    message:
      "must be a public host key ('ssh-ed25519 AAAA…', as ssh-keyscan prints it) or a fingerprint ('SHA256:…')",
  });

const tag = nodeTag;
const ATTRIBUTE_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const attributes = z.record(
  z.string().max(63).regex(ATTRIBUTE_PATTERN, 'must start with a letter; letters, digits, ".", "_" and "-"'),
  z.union([z.string(), z.number(), z.boolean()]).transform(String),
);

/** The spec of a node: where it is, how to log in, what it is. */
export const nodeSpec = z.strictObject({
  hostname: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1).max(64),
  tags: z.array(tag).default([]),
  attributes: attributes.default({}),
  /** Path of the private key in Baton's secret store. */
  key: secretPath,
  /** Pinned host key(s) or fingerprint(s): the node must present one of them. */
  hostKey: z.union([hostKey, z.array(hostKey).min(1)]).optional(),
  /** With no pinned key: trust the first key seen and pin it from then on. */
  trustOnFirstUse: z.boolean().default(false),
});
export type NodeSpec = z.output<typeof nodeSpec>;

export const nodeDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Node'),
  metadata: z.strictObject({
    name: resourceName,
    description: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: nodeSpec,
});
export type NodeDocument = z.output<typeof nodeDocument>;

/** A node as stored and listed. */
export interface Node {
  name: string;
  /** The NodeSource that brought it, or null for a `kind: Node` document. */
  sourceName: string | null;
  labels: Record<string, string>;
  spec: NodeSpec;
  updatedAt: Date;
  updatedBy: string;
}

/** Values a source's entries get unless they set their own. */
const nodeDefaults = z.strictObject({
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().min(1).max(64).optional(),
  tags: z.array(tag).optional(),
  attributes: attributes.optional(),
  key: secretPath.optional(),
  trustOnFirstUse: z.boolean().optional(),
});
export type NodeDefaults = z.output<typeof nodeDefaults>;

export const nodeSourceSpec = z
  .strictObject({
    /** An absolute path, read on the server. */
    file: z
      .string()
      .refine((text) => text.startsWith('/'), { message: 'must be an absolute path' })
      .optional(),
    url: z
      .string()
      .refine((text) => /^https?:\/\/[^\s]+$/.test(text), { message: 'must be an http:// or https:// URL' })
      .optional(),
    // A node list older than a day is a stale inventory: runs would reach machines long gone.
    refresh: durationUpTo('1d').default('5m'),
    defaults: nodeDefaults.default({}),
    /** Request headers whose values are secrets (e.g. `Authorization: secret/path`). */
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'), secretPath).optional(),
  })
  .superRefine((spec, ctx) => {
    if ((spec.file === undefined) === (spec.url === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must have exactly one of file or url' });
    }
    if (spec.headers && spec.file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['headers'], message: 'is only allowed with url' });
    }
  });
export type NodeSourceSpec = z.output<typeof nodeSourceSpec>;

export const nodeSourceDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('NodeSource'),
  metadata: z.strictObject({ name: resourceName, description: z.string().optional() }),
  spec: nodeSourceSpec,
});
export type NodeSourceDocument = z.output<typeof nodeSourceDocument>;

/** A node source as stored, with the outcome of its last refresh. */
export interface NodeSource {
  name: string;
  spec: NodeSourceSpec;
  nextRefreshAt: Date;
  lastRefreshAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  nodeCount: number;
  updatedBy: string;
}

// The node filter is part of the run request too, so its schema is the contract's.
export { DEFAULT_PARALLELISM, MAX_PARALLELISM, nodeFilter, type NodeFilter } from '../../contract/nodes.js';
