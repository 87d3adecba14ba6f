/**
 * One event: what arrived (its payload and fingerprint) and the chain that followed, as a tree:
 * each rule with its outcome, the execution it started with its state and output, and the rules
 * that execution's end matched in turn. Where an SRE reads "the alert fired, the diagnosis found
 * disk_full, the remediation waits for approval" at a glance.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ApiError, get } from '../api/client';
import type { ChainNode, EventDetail } from '../api/events';
import { FINISHED_STATES } from '../api/types';
import { ErrorMessage, Loading, PageHeader, StateBadge } from '../components/common';
import { JsonBlock } from '../components/json-block';
import { formatAgo, formatBytes, formatTime } from '../format';
import { eventSource, eventSummary, flattenChain, outcomeTone, outputSummary } from './events-view';
import './events.css';

/** While anything in the chain is still moving, the event is read again this often. */
const LIVE_REFRESH_MS = 2000;

export default function EventPage({ id }: { id: number }) {
  const valid = Number.isInteger(id) && id > 0;
  const detail = useQuery({
    queryKey: ['event', id],
    queryFn: ({ signal }) => get<EventDetail>(`/api/v1/events/${id}`, {}, signal),
    enabled: valid,
    refetchInterval: (query) => {
      const chain = query.state.data?.chain ?? [];
      const moving = flattenChain(chain).some(
        ({ node }) =>
          node.execution && !FINISHED_STATES.has(node.execution.state) && node.execution.state !== 'deleted',
      );
      return moving ? LIVE_REFRESH_MS : false;
    },
  });

  if (!valid) {
    return (
      <>
        <PageHeader title="Event" />
        <p className="error">There is no event with that number: event numbers are whole numbers from 1.</p>
      </>
    );
  }
  if (detail.isPending) return <Loading what={`Loading event #${id}`} />;
  if (detail.error) {
    const status = detail.error instanceof ApiError ? detail.error.status : 0;
    return (
      <>
        <PageHeader title={`Event #${id}`} />
        {status === 404 ? (
          <p className="error" role="alert">
            There is no event #{id} you may see. Events are deleted with old executions (retention).
          </p>
        ) : (
          <ErrorMessage error={detail.error} />
        )}
        <p>
          <Link href="/events">All events</Link>
        </p>
      </>
    );
  }
  const { event, chain } = detail.data;
  return (
    <div className="event-page">
      <PageHeader
        title={
          <>
            Event <span className="id">#{event.id}</span>
          </>
        }
      >
        <Link
          href={`/events?project=${encodeURIComponent(event.project)}${event.hook ? `&hook=${encodeURIComponent(event.hook)}` : ''}`}
        >
          Events of this {event.hook ? 'hook' : 'project'}
        </Link>
      </PageHeader>
      <p className="lead event-summary">{eventSummary(event.format, event.payload, 8)}</p>
      <dl className="facts event-facts">
        <dt>From</dt>
        <dd>
          {eventSource(event)} <span className="muted">({event.format})</span>
        </dd>
        <dt>Received</dt>
        <dd>
          <time dateTime={event.receivedAt} title={formatTime(event.receivedAt)}>
            {formatTime(event.receivedAt)}
          </time>{' '}
          <span className="muted">{formatAgo(event.receivedAt)}</span>
        </dd>
        <dt>Fingerprint</dt>
        <dd>
          <code>{event.fingerprint}</code>
        </dd>
      </dl>
      <section aria-labelledby="chain-heading">
        <h2 id="chain-heading">What it caused</h2>
        {chain.length === 0 ? (
          <p className="muted">No rule matched this event.</p>
        ) : (
          <ChainTree nodes={chain} root />
        )}
      </section>
      <section aria-labelledby="payload-heading">
        <h2 id="payload-heading">Payload</h2>
        <JsonBlock
          value={event.payload}
          label={`The fields rules saw (${formatBytes(event.payloadBytes)} received)`}
        />
      </section>
    </div>
  );
}

/** Nested lists: each level is what the execution above it caused when it finished. */
function ChainTree({ nodes, root = false }: { nodes: readonly ChainNode[]; root?: boolean }) {
  return (
    <ol className={root ? 'chain-tree chain-root' : 'chain-tree'}>
      {nodes.map((node, index) => (
        <li key={`${node.rule}-${node.at}-${index}`} className="chain-node">
          <ChainEntry node={node} />
          {node.next.length > 0 && <ChainTree nodes={node.next} />}
        </li>
      ))}
    </ol>
  );
}

function ChainEntry({ node }: { node: ChainNode }) {
  const output = node.execution ? outputSummary(node.execution.output) : null;
  return (
    <div className="chain-entry" data-rule={node.rule}>
      <div className="chain-rule">
        <span className="muted">rule</span> <strong>{node.rule}</strong>{' '}
        <span className={`rule-outcome outcome-${outcomeTone(node.outcome)}`}>{node.outcome}</span>
        {node.reason && <span className="chain-reason">{node.reason}</span>}
      </div>
      {node.execution && (
        <div className="chain-execution" data-execution={node.execution.id}>
          <span aria-hidden="true" className="chain-arrow">
            →
          </span>
          {node.execution.state === 'deleted' ? (
            <span className="muted">
              execution #{node.execution.id} {node.execution.job} (deleted with old executions)
            </span>
          ) : (
            <>
              <Link href={`/executions/${node.execution.id}`}>#{node.execution.id}</Link>{' '}
              <span className="chain-job">{node.execution.job}</span>{' '}
              <StateBadge state={node.execution.state} />
              {node.execution.exitCode !== null && node.execution.exitCode !== 0 && (
                <span className="muted"> exit code {node.execution.exitCode}</span>
              )}
            </>
          )}
          {output && (
            <span className="chain-output" title={JSON.stringify(node.execution.output, null, 2)}>
              output <code>{output}</code>
            </span>
          )}
        </div>
      )}
    </div>
  );
}
