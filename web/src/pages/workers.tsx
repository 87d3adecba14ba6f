/**
 * Workers: the processes that run executions, where they run, which groups they serve, how busy
 * they are and whether they are still alive. Lost and late workers stand out.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ApiError, get } from '../api/client';
import type { WorkerList } from '../api/workers';
import { Empty, ErrorMessage, Loading, PageHeader, Stat } from '../components/common';
import { useNow } from '../components/use-now';
import { formatAgo, formatTime } from '../format';
import { fleetCapacity, sortWorkers, workerHealth } from './workers-view';
import '../components/lists.css';
import './workers.css';

/** Heartbeats come every 5 s; asking as often shows a worker going quiet within seconds. */
const REFRESH_MS = 5000;

export default function WorkersPage() {
  const now = useNow(1000);
  const workers = useQuery({
    queryKey: ['workers'],
    queryFn: ({ signal }) => get<WorkerList>('/api/v1/workers', {}, signal),
    refetchInterval: REFRESH_MS,
  });

  if (workers.error instanceof ApiError && workers.error.status === 403) {
    return (
      <>
        <PageHeader title="Workers" />
        <p className="error" role="alert">
          You may not see the workers: that takes <code>view</code> on <code>system</code>. An administrator
          can grant it with a policy.
        </p>
      </>
    );
  }
  const list = sortWorkers(workers.data?.workers ?? []);
  const fleet = fleetCapacity(list);

  return (
    <>
      <PageHeader title="Workers" />
      <ErrorMessage error={workers.error} />
      {workers.isPending ? (
        <Loading what="Loading workers" />
      ) : list.length === 0 ? (
        <Empty>
          No worker has registered. <code>baton server</code> runs one inside it unless started with{' '}
          <code>--no-worker</code>; <code>baton worker</code> starts more.
        </Empty>
      ) : (
        <>
          <section className="stats" aria-label="Capacity">
            <Stat label="workers alive" value={fleet.alive} />
            <Stat
              label="running / slots"
              value={`${fleet.running} / ${fleet.slots}`}
              hint="executions running, and how many the alive workers may run at once"
            />
            <Stat
              label="lost"
              value={<span className={fleet.lost > 0 ? 'lost-count' : undefined}>{fleet.lost}</span>}
              hint="workers whose heartbeats stopped without a goodbye"
            />
            <Stat
              label="groups served"
              value={fleet.groups.length === 0 ? '—' : fleet.groups.join(', ')}
              hint="jobs with spec.workerGroup wait for a worker of their group"
            />
          </section>
          <div className="table-wrap">
            <table className="stacked-table workers-table">
              <thead>
                <tr>
                  <th scope="col">Worker</th>
                  <th scope="col">Groups</th>
                  <th scope="col">Host</th>
                  <th scope="col">State</th>
                  <th scope="col">Running</th>
                  <th scope="col">Version</th>
                  <th scope="col">Started</th>
                </tr>
              </thead>
              <tbody>
                {list.map((worker) => {
                  const health = workerHealth(worker, now);
                  return (
                    <tr key={worker.name} className={health.stale ? 'stale' : undefined}>
                      <td data-label="Worker">
                        <span>
                          <strong className="worker-name">{worker.name}</strong>
                          {worker.embedded && (
                            <span className="label" title="runs inside a baton server process">
                              embedded
                            </span>
                          )}
                        </span>
                      </td>
                      <td data-label="Groups">
                        {worker.groups.length === 0 ? (
                          <span className="muted">ungrouped jobs only</span>
                        ) : (
                          <span className="labels">
                            {worker.groups.map((group) => (
                              <span key={group} className="label">
                                {group}
                              </span>
                            ))}
                          </span>
                        )}
                      </td>
                      <td data-label="Host">
                        <span className="host">
                          {worker.host} <span className="muted">pid {worker.pid}</span>
                        </span>
                      </td>
                      <td data-label="State">
                        <span>
                          <span className={`state worker-${health.label}`}>{health.label}</span>{' '}
                          <span className="muted heartbeat" title={formatTime(worker.heartbeatAt)}>
                            {health.detail}
                          </span>
                        </span>
                      </td>
                      <td data-label="Running">
                        <Load running={worker.running} concurrency={worker.concurrency} />
                      </td>
                      <td data-label="Version">
                        <code>{worker.version}</code>
                      </td>
                      <td data-label="Started">
                        <time dateTime={worker.startedAt} title={formatTime(worker.startedAt)}>
                          {formatAgo(worker.startedAt, now)}
                        </time>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="hint workers-hint">
            Executions that wait for a worker say why on their page; see the{' '}
            <Link href="/executions?states=queued">queued executions</Link>.
          </p>
        </>
      )}
    </>
  );
}

/** Running out of concurrency, as a number and a bar. */
function Load({ running, concurrency }: { running: number; concurrency: number }) {
  return (
    <span className="load">
      <span className="load-numbers">
        {running} / {concurrency}
      </span>
      <meter min={0} max={Math.max(concurrency, 1)} value={running} aria-label="running of concurrency" />
    </span>
  );
}
