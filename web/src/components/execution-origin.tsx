/**
 * Pieces of the execution page for executions that events and nodes produce: where it came from
 * (the event and rule that fired it, the node a fan-out child runs on), what its steps wrote to
 * $BATON_OUTPUT, and a fan-out parent's table of nodes.
 */
import { Link } from 'wouter';
import type { ExecutionDetail, NodeRun } from '../api/executions';
import { elapsedMs } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';
import { StateBadge } from './common';
import { JsonBlock } from './json-block';
import './execution-origin.css';

/** "Triggered by event #7 (rule ops/disk-full)" and "on node web-1 of #40", for the lead line. */
export function ExecutionOrigin({ execution }: { execution: ExecutionDetail }) {
  return (
    <>
      {execution.cause && (
        <span className="execution-origin">
          Triggered by{' '}
          <Link href={`/events/${execution.cause.eventId}`}>event #{execution.cause.eventId}</Link>{' '}
          <span className="muted">(rule {execution.cause.rule})</span>
        </span>
      )}
      {execution.node && (
        <span className="execution-origin">
          on node <strong className="node-name">{execution.node}</strong>
          {execution.parentId !== null && (
            <>
              {' '}
              of <Link href={`/executions/${execution.parentId}`}>#{execution.parentId}</Link>
            </>
          )}
        </span>
      )}
    </>
  );
}

/** What the steps left in $BATON_OUTPUT, or why it was not kept (in red: a chained rule saw nothing). */
export function OutputPanel({ execution }: { execution: ExecutionDetail }) {
  if (execution.output === null && execution.outputError === null) return null;
  return (
    <section aria-labelledby="output-heading" className="execution-output">
      <h2 id="output-heading">Output</h2>
      {execution.outputError && (
        <p className="error" role="status">
          The output was not kept: {execution.outputError}
        </p>
      )}
      {execution.output !== null && (
        <JsonBlock value={execution.output} label="$BATON_OUTPUT as the last step left it" />
      )}
    </section>
  );
}

/**
 * A fan-out parent's nodes: each child's state, exit code, duration and reason, linked to its
 * execution (whose log is that node's log). The page's own polling keeps it current.
 */
export function NodeRunsTable({ execution }: { execution: ExecutionDetail }) {
  const runs = execution.nodeRuns;
  if (runs.length === 0) return null;
  const failed = runs.filter((run) => ['failed', 'timed_out', 'cancelled'].includes(run.state)).length;
  return (
    <section aria-labelledby="nodes-heading" className="execution-nodes">
      <h2 id="nodes-heading">
        Nodes{' '}
        <span className="muted">
          {runs.length} started
          {execution.nodes && execution.nodes.length > runs.length
            ? ` of ${execution.nodes.length} matched`
            : ''}
          {failed > 0 ? `, ${failed} did not succeed` : ''}
        </span>
      </h2>
      <div className="table-wrap">
        <table className="stacked-table node-runs">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">State</th>
              <th scope="col">Exit code</th>
              <th scope="col">Duration</th>
              <th scope="col">Reason</th>
              <th scope="col">Execution</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <NodeRunRow key={run.node} run={run} />
            ))}
          </tbody>
        </table>
      </div>
      {execution.nodes && execution.nodes.length > runs.length && (
        <p className="hint">
          Not started: {execution.nodes.filter((node) => !runs.some((run) => run.node === node)).join(', ')}{' '}
          (the run stopped after a failure, or has not reached them yet).
        </p>
      )}
    </section>
  );
}

function NodeRunRow({ run }: { run: NodeRun }) {
  const duration = elapsedMs(run.startedAt, run.finishedAt);
  return (
    <tr data-node={run.node}>
      <td data-label="Node">
        <strong className="node-name">{run.node}</strong>
      </td>
      <td data-label="State">
        <StateBadge state={run.state} />
      </td>
      <td data-label="Exit code">
        {run.exitCode === null ? <span className="muted">—</span> : <code>{run.exitCode}</code>}
      </td>
      <td data-label="Duration">
        {duration === null ? <span className="muted">—</span> : formatDurationForUi(duration)}
      </td>
      <td data-label="Reason">{run.reason ?? <span className="muted">—</span>}</td>
      <td data-label="Execution">
        <Link href={`/executions/${run.executionId}`}>#{run.executionId} log →</Link>
      </td>
    </tr>
  );
}
