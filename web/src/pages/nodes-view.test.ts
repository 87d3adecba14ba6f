import { formatTime } from '../format';
import { describe, expect, it } from 'vitest';
import {
  attributePairs,
  describeNodeFilter,
  hostKeyStatus,
  nodeFilterText,
  sourceLocation,
} from './nodes-view';

describe('the nodes page', () => {
  it('says how a host key is checked, and marks a node whose connections will be refused', () => {
    const none = { hostKey: [], trustOnFirstUse: false, learnedHostKey: null };
    expect(hostKeyStatus({ ...none, hostKey: ['ssh-ed25519 AAAA'] })).toMatchObject({
      label: 'pinned',
      tone: 'ok',
    });
    expect(hostKeyStatus({ ...none, hostKey: ['a', 'b'] }).label).toBe('pinned (2 keys)');
    expect(
      hostKeyStatus({
        ...none,
        trustOnFirstUse: true,
        learnedHostKey: { hostKey: 'k', fingerprint: 'SHA256:x', pinnedAt: '2026-11-23T12:00:00Z' },
      }),
    ).toEqual({
      label: `pinned on first use, ${formatTime('2026-11-23T12:00:00Z')}`,
      tone: 'ok',
      detail: 'SHA256:x',
    });
    expect(hostKeyStatus({ ...none, trustOnFirstUse: true }).tone).toBe('muted');
    expect(hostKeyStatus(none).tone).toBe('bad');
  });

  it('writes a job filter as the run-time filter text, leaving out how many run at once', () => {
    expect(
      nodeFilterText({
        name: ['web-*', 'api-?'],
        tags: ['web', 'linux'],
        hostname: '10.0.*',
        attributes: { env: 'prod', region: 'eu-*' },
        parallelism: 5,
        keepGoing: true,
      }),
    ).toBe('name=web-*,api-? tags=web,linux hostname=10.0.* attr.env=prod attr.region=eu-*');
    expect(nodeFilterText({ name: 'db-1' })).toBe('name=db-1');
    expect(nodeFilterText({ parallelism: 2 })).toBe('');
  });

  it('says a job filter in plain words', () => {
    expect(describeNodeFilter({ tags: ['web'], attributes: { env: 'prod' }, parallelism: 1 })).toBe(
      'Runs its steps on the nodes tagged web, with env prod, one at a time; no further node starts after one fails.',
    );
    expect(describeNodeFilter({ name: ['a', 'b', 'c'], keepGoing: true })).toBe(
      'Runs its steps on the nodes named a, b or c, up to 10 at once; every node runs even after one fails.',
    );
    expect(describeNodeFilter({})).toBe(
      'Runs its steps on every node, up to 10 at once; no further node starts after one fails.',
    );
  });

  it('lists attributes sorted by key, and where a source reads', () => {
    expect(attributePairs({ region: 'eu', env: 'prod' })).toEqual(['env=prod', 'region=eu']);
    expect(sourceLocation({ file: null, url: 'https://cmdb/nodes.json' })).toBe('https://cmdb/nodes.json');
    expect(sourceLocation({ file: '/etc/baton/nodes.yaml', url: null })).toBe('/etc/baton/nodes.yaml');
  });
});
