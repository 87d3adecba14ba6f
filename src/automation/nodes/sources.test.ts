/**
 * Node sources on both databases: a file's nodes appear after a refresh, change when the file
 * changes, stay as they were when the file turns invalid (the error is recorded and shown),
 * and never take a name a Node document holds. Nodes and sources are listed through the API.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/databases.js';
import { admin, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { InputError } from '../../platform/errors.js';
import { parseSourceNodes } from './sources.js';

describe.each(DIALECTS)('node sources on %s', (dialect) => {
  let baton: TestBaton;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    baton = await startTestBaton(dialect, { embeddedWorker: false });
    await baton.nodeSources.stop();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'baton-sources-'));
    file = path.join(dir, 'inventory.yaml');
    await baton.secrets.set(admin, 'ssh/fleet', { value: 'not a real key' });
  });
  afterAll(async () => {
    await baton.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const names = async (filter?: string) => {
    const response = await baton.request(
      'GET',
      `/api/v1/nodes${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`,
    );
    expect(response.statusCode, response.body).toBe(200);
    return (response.json().nodes as { name: string; source: string | null }[]).map(
      (node) => `${node.name}:${node.source ?? 'doc'}`,
    );
  };
  const source = async () => {
    const response = await baton.request('GET', '/api/v1/node-sources');
    return response.json().sources[0] as { name: string; nodeCount: number; lastError: string | null };
  };

  it('refreshes a file source; changes replace the set; invalid content keeps the last good one', async () => {
    await fs.writeFile(
      file,
      'app-1: {hostname: 10.0.0.1, tags: [app]}\napp-2: {hostname: 10.0.0.2, tags: [app], attributes: {env: prod}}\n',
    );
    await baton.applyYaml(`
apiVersion: baton/v1
kind: NodeSource
metadata: {name: inventory}
spec:
  file: ${file}
  refresh: 1m
  defaults: {user: deploy, key: ssh/fleet, tags: [fleet]}
---
apiVersion: baton/v1
kind: Node
metadata: {name: app-2}
spec: {hostname: 10.9.9.9, user: root, key: ssh/fleet}
`);
    const refresh = await baton.request('POST', '/api/v1/node-sources/inventory/refresh');
    expect(refresh.statusCode, refresh.body).toBe(200);
    // The document holds app-2: the source's entry is skipped and the reason recorded.
    expect(await names()).toEqual(['app-1:inventory', 'app-2:doc']);
    expect((await source()).lastError).toContain('app-2 (a Node document)');
    expect(await names('tags=fleet,app')).toEqual(['app-1:inventory']);

    await fs.writeFile(
      file,
      '- {name: app-3, hostname: 10.0.0.3, port: 2222}\n- {name: app-4, hostname: 10.0.0.4}\n',
    );
    expect(await baton.nodeSources.refreshNow('inventory')).toBe(true);
    expect(await names()).toEqual(['app-2:doc', 'app-3:inventory', 'app-4:inventory']);
    const app3 = (await baton.request('GET', '/api/v1/nodes/app-3')).json().node;
    expect(app3).toMatchObject({ port: 2222, user: 'deploy', key: 'ssh/fleet', tags: ['fleet'] });
    expect(await source()).toMatchObject({ nodeCount: 2, lastError: null });

    await fs.writeFile(file, '- {name: app-5, hostname: 10.0.0.5, colour: blue}\n');
    expect(await baton.nodeSources.refreshNow('inventory')).toBe(true);
    expect(await names()).toEqual(['app-2:doc', 'app-3:inventory', 'app-4:inventory']);
    expect((await source()).lastError).toContain('node app-5');
    expect((await source()).lastError).toContain('colour');

    await fs.writeFile(file, '{not yaml');
    await baton.nodeSources.refreshNow('inventory');
    expect((await source()).lastError).toContain('not valid YAML or JSON');
    expect(await names()).toHaveLength(3);
  });

  it('claims a due refresh once: a second server finds nothing due', async () => {
    await fs.writeFile(file, '[{"name": "app-6", "hostname": "10.0.0.6"}]');
    await baton.db.updateTable('node_sources').set({ next_refresh_at: 0 }).execute();
    const now = Date.now();
    const [first, second] = await Promise.all([
      baton.nodeSources.refreshDue(now),
      baton.nodeSources.refreshDue(now),
    ]);
    expect([...first, ...second]).toEqual(['inventory']);
    expect(await names()).toEqual(['app-2:doc', 'app-6:inventory']);
  });

  it('rejects a source without file or url, and a node with an unknown field, at their line', async () => {
    const error = await baton.apply
      .apply(
        {
          files: [
            {
              name: 'bad.yaml',
              content:
                'apiVersion: baton/v1\nkind: Node\nmetadata: {name: x-1}\nspec:\n  hostname: h\n  user: u\n  key: ssh/fleet\n  flavour: big\n',
            },
          ],
        },
        admin,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems[0]).toMatchObject({ file: 'bad.yaml', line: 8 });
    const noTarget = await baton.apply
      .apply(
        {
          files: [
            {
              name: 's.yaml',
              content: 'apiVersion: baton/v1\nkind: NodeSource\nmetadata: {name: s}\nspec: {refresh: 1m}\n',
            },
          ],
        },
        admin,
      )
      .catch((e: unknown) => e);
    expect((noTarget as InputError).problems[0]!.message).toContain('exactly one of file or url');
  });

  it('refreshes a URL source with a header from the secret store; a failing server keeps the last good set', async () => {
    await baton.secrets.set(admin, 'cmdb/token', { value: 'Bearer cmdb-token-4b1d' });
    let answer: { status: number; body: string } = {
      status: 200,
      body: JSON.stringify({ 'cmdb-1': { hostname: '10.1.0.1', tags: ['cmdb'] } }),
    };
    const seen: (string | undefined)[] = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      if (request.url === '/moved') {
        response.writeHead(302, { location: '/nodes.json' }).end();
        return;
      }
      if (request.headers.authorization !== 'Bearer cmdb-token-4b1d') {
        response.writeHead(401).end();
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const sourceYaml = (url: string) => `
apiVersion: baton/v1
kind: NodeSource
metadata: {name: cmdb}
spec:
  url: ${url}
  refresh: 1m
  headers: {Authorization: cmdb/token}
  defaults: {user: deploy, key: ssh/fleet}
`;
      await baton.applyYaml(sourceYaml(`${base}/nodes.json`));
      expect(await baton.nodeSources.refreshNow('cmdb')).toBe(true);
      expect(await names('tags=cmdb')).toEqual(['cmdb-1:cmdb']);
      expect(seen).toEqual(['Bearer cmdb-token-4b1d']);
      const cmdb = async () =>
        (
          (await baton.request('GET', '/api/v1/node-sources')).json().sources as {
            name: string;
            lastError: string | null;
          }[]
        ).find((candidate) => candidate.name === 'cmdb')!;

      answer = { status: 500, body: 'down' };
      await baton.nodeSources.refreshNow('cmdb');
      expect(await names('tags=cmdb')).toEqual(['cmdb-1:cmdb']);
      expect((await cmdb()).lastError).toContain('answered 500');

      // A redirect would take the secret header elsewhere: refused, and the secret is in no error.
      answer = { status: 200, body: '[]' };
      await baton.applyYaml(sourceYaml(`${base}/moved`));
      await baton.nodeSources.refreshNow('cmdb');
      expect(await names('tags=cmdb')).toEqual(['cmdb-1:cmdb']);
      expect((await cmdb()).lastError).toMatch(/GET .*\/moved failed/);
      expect(JSON.stringify(await cmdb())).not.toContain('cmdb-token-4b1d');

      // A port nothing listens on (a fresh one: a pooled connection to the server above could linger).
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const deadPort = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await baton.applyYaml(sourceYaml(`http://127.0.0.1:${deadPort}/nodes.json`));
      await baton.nodeSources.refreshNow('cmdb');
      expect((await cmdb()).lastError).toMatch(/nodes\.json failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
      expect(await names('tags=cmdb')).toEqual(['cmdb-1:cmdb']);
    } finally {
      server.close();
    }
  });
});

// Content read from a source refuses what would be stored differently or could not be read safely.
const node = (attributes: string) =>
  `web-1: {hostname: 10.0.0.1, user: deploy, key: nodes/key, attributes: ${attributes}}\n`;

describe('node source content', () => {
  it('reads ordinary attributes', () => {
    expect(parseSourceNodes(node('{role: web}'), {})[0]!.spec.attributes).toEqual({ role: 'web' });
  });

  it('refuses an attribute named constructor instead of storing what a map of that name does', () => {
    expect(() => parseSourceNodes(node('{constructor: x}'), {})).toThrow(
      'web-1.attributes.constructor: "constructor" may not be a key',
    );
  });

  it('refuses content nested past 64 levels, saying where the nesting passes the limit', () => {
    expect(() => parseSourceNodes(`web-1: {tags: ${'['.repeat(200)}${']'.repeat(200)}}\n`, {})).toThrow(
      /^web-1\.tags(\[0\])+: nests deeper than 64 levels/,
    );
  });
});
