/**
 * Node and NodeSource documents in `baton apply`. Naming a key secret in either needs `run` on
 * that secret: whoever applies a node decides which key Baton presents to it.
 */
import { resources } from '../../access/model.js';
import { existingSecretPaths } from '../../access/secrets/store.js';
import type { DocumentKind, PlanProblem, PlannedDocument } from '../../platform/documents/apply.js';
import type { FieldPath } from '../../platform/documents/source.js';
import {
  nodeDocument,
  nodeSourceDocument,
  type Node,
  type NodeDocument,
  type NodeSource,
  type NodeSourceDocument,
} from './model.js';
import {
  deleteNodeDocument,
  deleteNodeSource,
  getNodeDocument,
  getNodeSource,
  listNodeDocumentNames,
  listNodeSources,
  saveNodeDocument,
  saveNodeSource,
} from './store.js';

export function nodeToDocument(node: Node): NodeDocument {
  return {
    apiVersion: 'baton/v1',
    kind: 'Node',
    metadata: { name: node.name, ...(Object.keys(node.labels).length ? { labels: node.labels } : {}) },
    spec: node.spec,
  };
}

export function nodeSourceToDocument(source: NodeSource): NodeSourceDocument {
  return { apiVersion: 'baton/v1', kind: 'NodeSource', metadata: { name: source.name }, spec: source.spec };
}

/** Every secret path a document names, with where. */
function secretsOf(document: NodeDocument | NodeSourceDocument): { path: string; field: FieldPath }[] {
  if (document.kind === 'Node') return [{ path: document.spec.key, field: ['spec', 'key'] }];
  const named: { path: string; field: FieldPath }[] = [];
  if (document.spec.defaults.key !== undefined) {
    named.push({ path: document.spec.defaults.key, field: ['spec', 'defaults', 'key'] });
  }
  for (const [header, path] of Object.entries(document.spec.headers ?? {})) {
    named.push({ path, field: ['spec', 'headers', header] });
  }
  return named;
}

async function missingSecrets<T extends NodeDocument | NodeSourceDocument>(
  db: Parameters<DocumentKind<T>['load']>[0],
  documents: PlannedDocument<T>[],
): Promise<PlanProblem[]> {
  const named = documents.flatMap((document) =>
    secretsOf(document.value).map((reference) => ({ ...reference, document })),
  );
  const existing = await existingSecretPaths(db, [...new Set(named.map((reference) => reference.path))]);
  return named
    .filter((reference) => !existing.has(reference.path))
    .map((reference) => ({
      document: reference.document.source,
      path: reference.field,
      message: `unknown secret "${reference.path}"`,
      expected: 'a secret that exists (baton secrets set PATH)',
    }));
}

export const nodeKind: DocumentKind<NodeDocument> = {
  kind: 'Node',
  schema: nodeDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: (_scope, name) => resources.node(name),
  load: async (db, _scope, name) => {
    const stored = await getNodeDocument(db, name);
    return stored && { digest: stored.digest, document: nodeToDocument(stored.node) };
  },
  names: (db) => listNodeDocumentNames(db),
  check: (db, plan) => missingSecrets(db, plan.documents),
  requires: async (_db, document) =>
    secretsOf(document).map(({ path, field }) => ({
      action: 'run',
      resource: resources.secret(path),
      path: field,
    })),
  save: (db, document, context) =>
    saveNodeDocument(db, {
      name: document.metadata.name,
      labels: document.metadata.labels ?? {},
      spec: document.spec,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    }),
  remove: (db, _scope, name) => deleteNodeDocument(db, name),
};

export const nodeSourceKind: DocumentKind<NodeSourceDocument> = {
  kind: 'NodeSource',
  schema: nodeSourceDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: (_scope, name) => resources.nodeSource(name),
  load: async (db, _scope, name) => {
    const stored = await getNodeSource(db, name);
    return stored && { digest: stored.digest, document: nodeSourceToDocument(stored.source) };
  },
  names: async (db) => (await listNodeSources(db)).map((source) => source.name),
  check: (db, plan) => missingSecrets(db, plan.documents),
  requires: async (_db, document) =>
    secretsOf(document).map(({ path, field }) => ({
      action: 'run',
      resource: resources.secret(path),
      path: field,
    })),
  save: (db, document, context) =>
    saveNodeSource(db, {
      name: document.metadata.name,
      spec: document.spec,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    }),
  remove: (db, _scope, name) => deleteNodeSource(db, name),
};
