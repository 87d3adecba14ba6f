import { describe, expect, it } from 'vitest';
import type { Worker } from '../api/workers';
import { fleetCapacity, sortWorkers, workerHealth } from './workers-view';

const NOW = Date.parse('2025-03-14T09:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const worker = (name: string, state: Worker['state'], extra: Partial<Worker> = {}): Worker => ({
  name,
  host: 'host-1',
  pid: 1,
  groups: [],
  concurrency: 4,
  running: 1,
  version: '0.1.0',
  embedded: false,
  state,
  startedAt: ago(3_600_000),
  heartbeatAt: ago(2000),
  ...extra,
});

describe('the worker registry as it reads', () => {
  it('calls a worker with fresh heartbeats alive', () => {
    expect(workerHealth(worker('w', 'alive'), NOW)).toEqual({
      label: 'alive',
      stale: false,
      detail: 'heartbeat 2 s ago',
    });
  });

  it('marks an alive worker quiet for more than two heartbeats as late, and a lost one as stale', () => {
    expect(workerHealth(worker('w', 'alive', { heartbeatAt: ago(12_000) }), NOW)).toMatchObject({
      label: 'late',
      stale: true,
    });
    expect(workerHealth(worker('w', 'lost', { heartbeatAt: ago(125_000) }), NOW)).toEqual({
      label: 'lost',
      stale: true,
      detail: 'no heartbeat for 2 min 05 s; its executions are recovered',
    });
  });

  it('does not mark a worker that stopped on purpose', () => {
    expect(workerHealth(worker('w', 'stopped', { heartbeatAt: ago(60_000) }), NOW)).toMatchObject({
      label: 'stopped',
      stale: false,
    });
  });

  it('lists serving workers first, lost ones next, stopped ones last', () => {
    const sorted = sortWorkers([
      worker('c', 'stopped'),
      worker('b', 'alive'),
      worker('d', 'lost'),
      worker('a', 'alive'),
    ]);
    expect(sorted.map((item) => item.name)).toEqual(['a', 'b', 'd', 'c']);
  });

  it('counts capacity over the alive workers only', () => {
    const fleet = fleetCapacity([
      worker('a', 'alive', { running: 2, concurrency: 4, groups: ['linux'] }),
      worker('b', 'alive', { running: 0, concurrency: 8, groups: ['linux', 'win'] }),
      worker('c', 'lost', { running: 3, concurrency: 4, groups: ['gpu'] }),
    ]);
    expect(fleet).toEqual({ alive: 2, lost: 1, running: 2, slots: 12, groups: ['linux', 'win'] });
  });
});
