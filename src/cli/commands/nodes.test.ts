/**
 * `baton nodes` and `baton run --nodes` as users type them: the compiled CLI against a real Baton
 * (SQLite). Nothing here connects to a node: listing, filtering and refusing bad filters happen
 * before any SSH (the SSH side is in src/automation/nodes/nodes.test.ts, against real sshd).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../../../test/cli-harness.js';
import { admin } from '../../../test/baton.js';

let server: CliServer;

const node = (name: string, tags: string[], env: string, extra = '') => `
apiVersion: baton/v1
kind: Node
metadata: {name: ${name}}
spec: {hostname: ${name}.example.internal, user: deploy, key: ssh/deploy, tags: [${tags.join(', ')}], attributes: {env: ${env}}${extra}}
---`;

beforeAll(async () => {
  server = await startCliServer();
  await server.baton.secrets.set(admin, 'ssh/deploy', { value: 'not a real key' });
  const documents = [
    node('web-1', ['web'], 'prod', ", hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"),
    node('web-2', ['web'], 'staging', ', trustOnFirstUse: true'),
    node('db-1', ['db'], 'prod'),
    `
apiVersion: baton/v1
kind: Job
metadata: {name: uptime, project: ops}
spec:
  nodes: {tags: [web]}
  steps: [{name: uptime, command: [uptime]}]
`,
  ].join('\n');
  await server.baton.apply.apply({ files: [{ name: 'nodes.yaml', content: documents }] }, admin);
});

afterAll(async () => {
  await server?.stop();
});

describe('baton nodes', () => {
  it('lists every node with its address, tags, attributes and whether its host key is checked', async () => {
    const result = await server.cli(['nodes']);
    expect(result.code, result.stderr).toBe(0);
    const [header, ...rows] = result.stdout.trim().split('\n');
    expect(header).toMatch(/^NODE\s+ADDRESS\s+TAGS\s+ATTRIBUTES\s+HOST KEY\s+SOURCE$/);
    expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([
      ['db-1', 'deploy@db-1.example.internal:22', 'db', 'env=prod', 'NOT PINNED', 'document'],
      ['web-1', 'deploy@web-1.example.internal:22', 'web', 'env=prod', 'pinned', 'document'],
      ['web-2', 'deploy@web-2.example.internal:22', 'web', 'env=staging', 'trust on first use', 'document'],
    ]);
  });

  it('narrows the list with the run-time filter grammar, and says so when nothing matches', async () => {
    const result = await server.cli(['nodes', '--filter', 'tags=web attr.env=prod']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').slice(1)).toHaveLength(1);
    expect(result.stdout).toContain('web-1');
    const none = await server.cli(['nodes', '--filter', 'tags=db attr.env=staging']);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe('no node matches tags=db attr.env=staging\n');
  });

  it('refuses an unknown filter key with exit 2 and one line naming the allowed keys, before asking the server', async () => {
    for (const args of [
      ['nodes', '--filter', 'role=web'],
      ['run', 'ops/uptime', '--nodes', 'role=web'],
    ]) {
      const result = await server.cli(args);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/unknown node filter key "role".*name.*tags.*hostname.*attr\.KEY/);
    }
    expect((await server.baton.db.selectFrom('executions').select('id').execute()).length).toBe(0);
  });

  it('refuses a run whose filter matches no node, naming the filter, and queues nothing', async () => {
    const result = await server.cli(['run', 'ops/uptime', '--nodes', 'tags=nothing']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no node matches tags=nothing \(3 nodes known\)/);
    expect((await server.baton.db.selectFrom('executions').select('id').execute()).length).toBe(0);
  });

  it('says so when there is no key learned on first use to forget', async () => {
    const result = await server.cli(['nodes', 'forget-host-key', 'web-2']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/node web-2 has no host key pinned on first use/);
  });
});
