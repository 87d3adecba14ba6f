/**
 * The approvals inbox: executions awaiting the caller's decision, with what they would run and
 * how long is left; and the caller's own requests, which wait on others (nobody approves their own).
 */
import { useState } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api/client';
import type {
  ApprovalDecision,
  ApprovalRequirement,
  ExecutionWithApproval,
  PendingApprovals,
} from '../api/approvals';
import type { Execution, ExecutionPage } from '../api/types';
import { Empty, ErrorMessage, Loading, PageHeader, StateBadge } from '../components/common';
import { DecisionForm, type Verdict } from '../components/decision-form';
import { useNow } from '../components/use-now';
import { formatAgo, formatTime } from '../format';
import { useUser } from '../session';
import { approvalProgress, describeApprovers, expiryCountdown, formatOptionValue } from './approvals-view';
import './approvals.css';

/** Requests arrive while the page is open; people wait on them, so look often. */
const REFRESH_MS = 10_000;

export default function ApprovalsPage() {
  const user = useUser();
  const now = useNow(1000);
  const inbox = useQuery({
    queryKey: ['approvals'],
    queryFn: ({ signal }) => get<PendingApprovals>('/api/v1/approvals', {}, signal),
    refetchInterval: REFRESH_MS,
  });
  const mine = useQuery({
    queryKey: ['executions', { states: 'awaiting_approval', user: user.name }],
    queryFn: ({ signal }) =>
      get<ExecutionPage>(
        '/api/v1/executions',
        { states: 'awaiting_approval', user: user.name, limit: 100 },
        signal,
      ),
    refetchInterval: REFRESH_MS,
  });
  // The list leaves out who must approve; each request's detail says it.
  const details = useQueries({
    queries: (mine.data?.executions ?? []).map((execution) => ({
      queryKey: ['execution', execution.id],
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        get<{ execution: ExecutionWithApproval }>(`/api/v1/executions/${execution.id}`, {}, signal),
      refetchInterval: REFRESH_MS,
    })),
  });
  const waiting = inbox.data?.approvals ?? [];
  const [outcomes, setOutcomes] = useState<string[]>([]);

  return (
    <>
      <PageHeader title="Approvals" />
      <section aria-labelledby="inbox-heading">
        <h2 id="inbox-heading">
          Awaiting your decision {waiting.length > 0 && <span className="count-badge">{waiting.length}</span>}
        </h2>
        <div role="status">
          {outcomes.map((outcome) => (
            <p key={outcome} className="notice">
              {outcome}
            </p>
          ))}
        </div>
        <ErrorMessage error={inbox.error} />
        {inbox.isPending ? (
          <Loading what="Loading requests" />
        ) : waiting.length === 0 && !inbox.error ? (
          <Empty>Nothing awaits your decision.</Empty>
        ) : (
          <ul className="approval-list">
            {waiting.map((pending) => (
              <li key={pending.execution.id}>
                <ApprovalCard
                  execution={pending.execution}
                  required={pending.required}
                  decisions={pending.decisions}
                  now={now}
                >
                  <DecisionForm
                    executionId={pending.execution.id}
                    onDecided={(verdict, execution) =>
                      setOutcomes((earlier) => [decisionOutcome(verdict, execution), ...earlier].slice(0, 5))
                    }
                  />
                </ApprovalCard>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="mine-heading">
        <h2 id="mine-heading">Your requests, waiting on others</h2>
        <ErrorMessage error={mine.error} />
        {mine.isPending ? (
          <Loading what="Loading your requests" />
        ) : mine.data?.executions.length === 0 ? (
          <Empty>None of your executions awaits approval.</Empty>
        ) : (
          <ul className="approval-list">
            {(mine.data?.executions ?? []).map((execution, index) => {
              const approval = details[index]?.data?.execution.approval;
              return (
                <li key={execution.id}>
                  <ApprovalCard
                    execution={execution}
                    required={approval?.required}
                    decisions={approval?.decisions ?? []}
                    now={now}
                  >
                    <p className="muted own-request">
                      You requested this run, so you cannot approve it
                      {approval ? `; it waits for ${describeApprovers(approval.required.approvers)}.` : '.'}
                    </p>
                  </ApprovalCard>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </>
  );
}

function ApprovalCard({
  execution,
  required,
  decisions,
  now,
  children,
}: {
  execution: Execution;
  required: ApprovalRequirement | undefined;
  decisions: ApprovalDecision[];
  now: number;
  children: React.ReactNode;
}) {
  const options = Object.entries(execution.options);
  const countdown = required ? expiryCountdown(required.expiresAt, now) : null;
  const progress = required ? approvalProgress(required, decisions) : null;
  return (
    <article className="approval" aria-labelledby={`approval-${execution.id}`}>
      <header className="approval-head">
        <h3 id={`approval-${execution.id}`}>
          <Link
            href={`/jobs/${encodeURIComponent(execution.project)}/${encodeURIComponent(execution.job)}`}
            className="job-link"
          >
            <span className="muted">{execution.project}/</span>
            {execution.job}
          </Link>{' '}
          <Link href={`/executions/${execution.id}`} className="id-link">
            #{execution.id}
          </Link>
        </h3>
        <StateBadge state={execution.state} />
      </header>
      <dl className="facts approval-facts">
        <dt>Requested by</dt>
        <dd>
          <strong>{execution.requestedBy}</strong>{' '}
          <time className="muted" dateTime={execution.queuedAt} title={formatTime(execution.queuedAt)}>
            {formatAgo(execution.queuedAt, now)}
          </time>
        </dd>
        <dt>Options</dt>
        <dd>
          {options.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="option-values">
              {options.map(([name, value]) => (
                <li key={name}>
                  <code>{name}</code> = <code className="option-value">{formatOptionValue(value)}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        {required && progress && (
          <>
            <dt>Approvers</dt>
            <dd>
              {describeApprovers(required.approvers)} ·{' '}
              <span>
                {progress.approvals} of {progress.needed} approval{progress.needed === 1 ? '' : 's'}
              </span>
              {decisions.length > 0 && (
                <ul className="decisions">
                  {decisions.map((decision) => (
                    <li key={decision.approver}>
                      {decision.approver} {decision.decision}{' '}
                      <span className="muted">{formatAgo(decision.at, now)}</span>
                      {decision.comment && <q>{decision.comment}</q>}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </>
        )}
        {required && countdown && (
          <>
            <dt>Expires</dt>
            <dd>
              <time
                dateTime={required.expiresAt ?? undefined}
                title={required.expiresAt ? formatTime(required.expiresAt) : undefined}
                className={countdown.urgent ? 'countdown urgent' : 'countdown'}
              >
                {countdown.text}
              </time>{' '}
              <span className="muted">(the job allows {required.expires})</span>
            </dd>
          </>
        )}
      </dl>
      {children}
    </article>
  );
}

/** What the inbox says after a decision. */
function decisionOutcome(verdict: Verdict, execution: Execution): string {
  if (verdict === 'reject') return `Rejected: #${execution.id} will not run.`;
  return execution.state === 'awaiting_approval'
    ? `Approved; #${execution.id} still needs more approvals.`
    : `Approved; #${execution.id} is ${execution.state.replace(/_/g, ' ')}.`;
}
