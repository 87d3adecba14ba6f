/**
 * Nodes over HTTP: list (with the run-time filter), read, node sources with their last refresh,
 * a refresh on demand, and forgetting a host key pinned on first use. Nodes and sources are
 * written with POST /api/v1/apply.
 */
import { z } from 'zod';
import type { AccessControl } from '../../access/authorize.js';
import { resources } from '../../access/model.js';
import { appendAudit, auditActor } from '../../access/audit/trail.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import {
  nodeResponse,
  nodeSourceResponse,
  nodeSourcesResponse,
  nodesQuery,
  nodesResponse,
  type NodeSourceView,
  type NodeView,
} from '../../contract/nodes.js';
import { noContent } from '../../contract/errors.js';
import type { Db } from '../../platform/db/database.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import { didYouMean } from '../../platform/suggest.js';
import { nodeMatches, parseNodeFilter } from './filter.js';
import type { Node, NodeSource } from './model.js';
import type { NodeSourceRefresher } from './sources.js';
import {
  forgetHostKey,
  getNode,
  getNodeSource,
  getPinnedHostKey,
  listPinnedHostKeys,
  listNodeSources,
  listNodes,
} from './store.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

function viewNode(
  node: Node,
  learned: { hostKey: string; fingerprint: string; pinnedAt: Date } | undefined,
): NodeView {
  return {
    name: node.name,
    source: node.sourceName,
    labels: node.labels,
    hostname: node.spec.hostname,
    port: node.spec.port,
    user: node.spec.user,
    tags: node.spec.tags,
    attributes: node.spec.attributes,
    key: node.spec.key,
    hostKey: [node.spec.hostKey ?? []].flat(),
    trustOnFirstUse: node.spec.trustOnFirstUse,
    learnedHostKey: learned ? { ...learned, pinnedAt: learned.pinnedAt.toISOString() } : null,
    updatedAt: node.updatedAt.toISOString(),
    updatedBy: node.updatedBy,
  };
}

function viewSource(source: NodeSource): NodeSourceView {
  return {
    name: source.name,
    file: source.spec.file ?? null,
    url: source.spec.url ?? null,
    refresh: source.spec.refresh,
    nodeCount: source.nodeCount,
    lastRefreshAt: iso(source.lastRefreshAt),
    lastSuccessAt: iso(source.lastSuccessAt),
    lastError: source.lastError,
    nextRefreshAt: source.nextRefreshAt.toISOString(),
  };
}

/** What the node routes use of the server. */
export interface NodeRoutesDeps {
  db: Db;
  access: AccessControl;
  nodeSources: Pick<NodeSourceRefresher, 'refreshNow'>;
}

export function registerNodeRoutes(app: HttpApp, baton: NodeRoutesDeps): void {
  app.get(
    '/api/v1/nodes',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Nodes the caller may view, optionally only those a run-time filter matches.',
        querystring: nodesQuery,
        response: { 200: nodesResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const filter = request.query.filter === undefined ? undefined : parseNodeFilter(request.query.filter);
      const nodes = (await listNodes(baton.db)).filter(
        (node) =>
          (filter === undefined || nodeMatches(filter, node)) &&
          baton.access.authorize(caller, 'view', resources.node(node.name)).allowed,
      );
      const learned = await listPinnedHostKeys(
        baton.db,
        nodes.filter((node) => node.spec.trustOnFirstUse).map((node) => node.name),
      );
      return { nodes: nodes.map((node) => viewNode(node, learned.get(node.name))) };
    },
  );

  app.get(
    '/api/v1/nodes/:name',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'One node. A node the caller may not view is not found, like a missing one.',
        params: z.object({ name: z.string() }),
        response: { 200: nodeResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const mayView = (name: string) => baton.access.authorize(caller, 'view', resources.node(name)).allowed;
      const node = await getNode(baton.db, request.params.name);
      if (!node || !mayView(node.name)) {
        const known = (await listNodes(baton.db)).map((candidate) => candidate.name).filter(mayView);
        throw new NotFoundError(
          `node ${request.params.name} not found${didYouMean(request.params.name, known)}`,
        );
      }
      return { node: viewNode(node, await getPinnedHostKey(baton.db, node.name)) };
    },
  );

  app.delete(
    '/api/v1/nodes/:name/learned-host-key',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Forgets the host key pinned on first use (the machine was re-keyed); the next connection pins again.',
        params: z.object({ name: z.string() }),
        response: { 204: noContent },
      },
    },
    async (request, reply) => {
      const name = request.params.name;
      const notPinned = `node ${name} has no host key pinned on first use`;
      baton.access.requireVisible(principalOf(request), 'edit', resources.node(name), notPinned);
      // Trusting whatever key the node presents next is a security decision: it is audited.
      const forgotten = await baton.db.transaction().execute(async (trx) => {
        const pinned = await getPinnedHostKey(trx, name);
        if (!pinned || !(await forgetHostKey(trx, name))) return false;
        await appendAudit(trx, {
          ...auditActor(principalOf(request)),
          action: 'node.forget-host-key',
          target: `node/${name}`,
          summary: { fingerprint: pinned.fingerprint },
        });
        return true;
      });
      if (!forgotten) throw new NotFoundError(notPinned);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/node-sources',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Node sources the caller may view, with the outcome of their last refresh.',
        response: { 200: nodeSourcesResponse },
      },
    },
    async (request) => {
      const caller = principalOf(request);
      const sources = (await listNodeSources(baton.db)).filter(
        (source) => baton.access.authorize(caller, 'view', resources.nodeSource(source.name)).allowed,
      );
      return { sources: sources.map(viewSource) };
    },
  );

  app.post(
    '/api/v1/node-sources/:name/refresh',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Fetches a node source now.',
        params: z.object({ name: z.string() }),
        response: { 200: nodeSourceResponse },
      },
    },
    async (request) => {
      const { name } = request.params;
      const notFound = `node source ${name} not found`;
      baton.access.requireVisible(principalOf(request), 'edit', resources.nodeSource(name), notFound);
      if (!(await getNodeSource(baton.db, name))) throw new NotFoundError(notFound);
      if (!(await baton.nodeSources.refreshNow(name))) {
        throw new ConflictError(`node source ${name} is being refreshed by another server`);
      }
      return { source: viewSource((await getNodeSource(baton.db, name))!.source) };
    },
  );
}
