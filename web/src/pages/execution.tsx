/**
 * One execution: its state, who ran it and with which options, its steps on a time line, and its
 * log, live while it runs. From here it can be cancelled, run again with the same options, and
 * approved or rejected when it waits for that. Secret options hold a secret's path, never its
 * value (the API never has the value to give), so they are shown and re-used as they are.
 */
import { useRef, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import { ApiError, get, post } from '../api/client';
import type { PendingApprovals } from '../api/approvals';
import { executionPath, type ExecutionDetail, type ExecutionStep } from '../api/executions';
import { budgetCostPath, type ExecutionBudgetCosts } from '../api/slos';
import { FINISHED_STATES, type Execution, type JobDetail } from '../api/types';
import { ErrorMessage, Loading, PageHeader, StateBadge } from '../components/common';
import { DecisionForm } from '../components/decision-form';
import { ExecutionOrigin, NodeRunsTable, OutputPanel } from '../components/execution-origin';
import { NotificationDeliveries } from '../components/notification-deliveries';
import { LogView, type LogViewHandle } from '../components/log-view/log-view';
import { prefetchLogLines } from '../components/log-view/use-log-source';
import { useNow } from '../components/use-now';
import { elapsedMs, formatAgo, formatState, formatTime } from '../format';
import { formatDurationForUi } from '../../../src/contract/time.js';
import { useUser } from '../session';
import { useUrlFilters } from '../url-state';
import { approvalProgress, describeApprovers, expiryCountdown, formatOptionValue } from './approvals-view';
import {
  admissionRows,
  budgetCostRows,
  budgetCostStillCounting,
  approvalStanding,
  isCancellable,
  logOpensAt,
  openingLines,
  refusalReason,
  stepBars,
} from './execution-view';
import './execution.css';

/** While an execution has not finished, its detail is read this often (the log streams on its own). */
const POLL_MS = 2000;

export default function ExecutionPage({ id }: { id: number }) {
  if (!Number.isInteger(id) || id <= 0) {
    return (
      <>
        <PageHeader title="Execution" />
        <p className="error">
          There is no execution with that number: execution numbers are whole numbers from 1.
        </p>
      </>
    );
  }
  return <ExecutionView key={id} id={id} />;
}

function ExecutionView({ id }: { id: number }) {
  const queryClient = useQueryClient();
  const [params, setParams] = useUrlFilters();
  const lineParam = Number(params.get('line'));
  const selectedLine = Number.isInteger(lineParam) && lineParam >= 1 ? lineParam - 1 : null;
  const openedLog = useRef(false);
  const detail = useQuery({
    queryKey: ['execution', id],
    queryFn: async ({ signal }) => {
      const answer = await get<{ execution: ExecutionDetail }>(executionPath(id), {}, signal);
      // The log's first lines are asked for now, while the page renders, not after it.
      const opening = openedLog.current ? null : openingLines(answer.execution, selectedLine);
      if (opening) {
        openedLog.current = true;
        prefetchLogLines(id, opening.from, opening.to);
      }
      return answer;
    },
    refetchInterval: (query) => {
      const state = query.state.data?.execution.state;
      return state && FINISHED_STATES.has(state) ? false : POLL_MS;
    },
  });
  const execution = detail.data?.execution;
  const job = useQuery({
    queryKey: ['job', execution?.project, execution?.job],
    queryFn: ({ signal }) =>
      get<{ job: JobDetail }>(
        `/api/v1/jobs/${encodeURIComponent(execution!.project)}/${encodeURIComponent(execution!.job)}`,
        {},
        signal,
      ),
    enabled: execution !== undefined,
  });
  const logHandle = useRef<LogViewHandle>(null);
  const running = execution !== undefined && !FINISHED_STATES.has(execution.state);
  const now = useNow(1000, running);

  if (detail.isPending) return <Loading what={`Loading execution #${id}`} />;
  if (detail.error) return <ExecutionMissing id={id} error={detail.error} />;
  const current = detail.data.execution;
  const mayRun = job.data?.job.allowed.run;
  const secretOptions = new Set(
    (job.data?.job.options ?? []).filter((option) => option.type === 'secret').map((option) => option.name),
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['execution', id] });

  return (
    <div className="execution-page">
      <PageHeader
        title={
          <>
            Execution <span className="id">#{current.id}</span> <StateBadge state={current.state} />
          </>
        }
      >
        {isCancellable(current) && mayRun !== false && <CancelAction execution={current} />}
        {mayRun && <RerunAction execution={current} />}
      </PageHeader>
      <p className="lead execution-lead">
        <Link
          href={`/jobs/${encodeURIComponent(current.project)}/${encodeURIComponent(current.job)}`}
          className="job-link"
        >
          <span className="muted">{current.project}/</span>
          {current.job}
        </Link>{' '}
        <span className="muted">
          revision {current.jobRevision} · requested by <strong>{current.requestedBy}</strong>{' '}
          <time dateTime={current.queuedAt} title={formatTime(current.queuedAt)}>
            {formatAgo(current.queuedAt, now)}
          </time>
        </span>
        <ExecutionOrigin execution={current} />
      </p>
      <StateNotice execution={current} now={now} />
      <AdmissionPanel execution={current} />
      <BudgetCostPanel execution={current} />
      {current.approval && <ApprovalPanel execution={current} now={now} onDecided={refresh} />}
      <div className="execution-columns">
        <Summary execution={current} now={now} />
        <Options options={current.options} secretOptions={secretOptions} />
      </div>
      <OutputPanel execution={current} />
      <NodeRunsTable execution={current} />
      {current.steps.length > 0 && (
        <StepTimeline
          execution={current}
          now={now}
          onJump={(line) => logHandle.current?.scrollToLine(line)}
        />
      )}
      <NotificationDeliveries executionId={current.id} live={running} />
      <section aria-labelledby="log-heading" className="execution-log">
        <h2 id="log-heading">Log</h2>
        <LogView
          handle={logHandle}
          executionId={current.id}
          lines={current.log.lines}
          bytes={current.log.bytes}
          discardedBytes={current.log.discardedBytes}
          live={running}
          streaming={current.state === 'running'}
          openAt={logOpensAt(current.state)}
          onEnd={() => void refresh()}
          selectedLine={selectedLine}
          onSelectLine={(line) => setParams({ line: line === null ? undefined : String(line + 1) })}
          emptyMessage={emptyLogMessage(current)}
        />
      </section>
    </div>
  );
}

function emptyLogMessage(execution: ExecutionDetail): string {
  if (execution.state === 'awaiting_approval')
    return 'The log starts once the execution is approved and runs.';
  if (execution.state === 'queued') return 'The log starts once a worker picks the execution up.';
  if (execution.state === 'running') return 'No output yet.';
  if (execution.state === 'rejected') return 'It was rejected and never ran.';
  return 'This execution printed nothing.';
}

/**
 * A 404 of the execution itself, in words. The API answers an execution of a job the caller may
 * not view exactly like a missing one, so the page cannot (and must not) tell the two apart.
 */
function ExecutionMissing({ id, error }: { id: number; error: unknown }) {
  const status = error instanceof ApiError ? error.status : 0;
  return (
    <>
      <PageHeader title={`Execution #${id}`} />
      {status === 404 ? (
        <p className="error" role="alert">
          There is no execution #{id} that you may view. It may never have existed, have been deleted with old
          executions (retention), or belong to a job you may not view: its owners can grant `view` with a
          policy.
        </p>
      ) : (
        <ErrorMessage error={error} />
      )}
      <p>
        <Link href="/executions">All executions</Link>
      </p>
    </>
  );
}

/** Why it waits, why it ended, or that a cancel is on its way. */
function StateNotice({ execution, now }: { execution: ExecutionDetail; now: number }) {
  const notes: ReactNode[] = [];
  if (execution.cancelRequestedAt && !FINISHED_STATES.has(execution.state)) {
    notes.push(
      <>Cancel requested {formatAgo(execution.cancelRequestedAt, now)}: the process tree is being stopped.</>,
    );
  }
  // The approval panel says what an awaiting execution waits for.
  if (execution.waitingFor && execution.state === 'queued') {
    notes.push(<>Not started yet: {execution.waitingFor}.</>);
  }
  if (execution.reason && FINISHED_STATES.has(execution.state))
    notes.push(<>{capitalize(execution.reason)}.</>);
  if (notes.length === 0) return null;
  const tone = ['failed', 'timed_out', 'rejected'].includes(execution.state) ? 'bad' : 'info';
  return (
    <div className={`state-notice state-notice-${tone}`} role="status">
      {notes.map((note, index) => (
        <p key={index}>{note}</p>
      ))}
    </div>
  );
}

function Summary({ execution, now }: { execution: ExecutionDetail; now: number }) {
  const waited = elapsedMs(execution.queuedAt, execution.startedAt, now);
  const ran = elapsedMs(execution.startedAt, execution.finishedAt, now);
  const children = execution.steps.filter((step) => step.childExecutionId !== null);
  return (
    <section aria-labelledby="summary-heading" className="panel">
      <h2 id="summary-heading">Summary</h2>
      <dl className="facts">
        <dt>Queued</dt>
        <dd>
          <time dateTime={execution.queuedAt}>{formatTime(execution.queuedAt)}</time>
        </dd>
        <dt>Started</dt>
        <dd>
          {execution.startedAt ? (
            <>
              <time dateTime={execution.startedAt}>{formatTime(execution.startedAt)}</time>{' '}
              <span className="muted">after {formatDurationForUi(waited)} in the queue</span>
            </>
          ) : (
            <span className="muted">not yet</span>
          )}
        </dd>
        {execution.finishedAt && (
          <>
            <dt>Finished</dt>
            <dd>
              <time dateTime={execution.finishedAt}>{formatTime(execution.finishedAt)}</time>
            </dd>
          </>
        )}
        <dt>{execution.startedAt && !execution.finishedAt ? 'Running for' : 'Duration'}</dt>
        <dd className="number-left">{execution.startedAt ? formatDurationForUi(ran) : '—'}</dd>
        <dt>Exit code</dt>
        <dd>
          {execution.exitCode === null ? <span className="muted">—</span> : <code>{execution.exitCode}</code>}
        </dd>
        {execution.workerGroup && (
          <>
            <dt>Worker group</dt>
            <dd>
              <code>{execution.workerGroup}</code>
            </dd>
          </>
        )}
        {execution.attempts.length > 1 && (
          <>
            <dt>Attempts</dt>
            <dd>
              <ol className="attempts">
                {execution.attempts.map((attempt) => (
                  <li key={attempt.id}>
                    {attempt.id === execution.id ? (
                      <strong aria-current="page">#{attempt.id}</strong>
                    ) : (
                      <Link href={`/executions/${attempt.id}`}>#{attempt.id}</Link>
                    )}{' '}
                    <StateBadge state={attempt.state} />
                  </li>
                ))}
              </ol>
            </dd>
          </>
        )}
        {execution.parentId !== null && (
          <>
            <dt>Started by</dt>
            <dd>
              {execution.node ? `its run on node ${execution.node}, for` : 'a job step of'}{' '}
              <Link href={`/executions/${execution.parentId}`}>#{execution.parentId}</Link>
            </dd>
          </>
        )}
        {children.length > 0 && (
          <>
            <dt>Started</dt>
            <dd>
              {children.map((step, index) => (
                <span key={step.index}>
                  {index > 0 && ', '}
                  <Link href={`/executions/${step.childExecutionId}`}>#{step.childExecutionId}</Link>{' '}
                  <span className="muted">({step.name})</span>
                </span>
              ))}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Options({
  options,
  secretOptions,
}: {
  options: Record<string, unknown>;
  secretOptions: Set<string>;
}) {
  const entries = Object.entries(options);
  return (
    <section aria-labelledby="options-heading" className="panel">
      <h2 id="options-heading">Options</h2>
      {entries.length === 0 ? (
        <p className="muted">Run without options.</p>
      ) : (
        <dl className="facts option-facts">
          {entries.map(([name, value]) => (
            <div key={name} className="fact-row">
              <dt>
                <code>{name}</code>
              </dt>
              <dd>
                <code className="option-value">{formatOptionValue(value)}</code>
                {secretOptions.has(name) && (
                  <span className="secret-note" title="The path of a secret. Its value is never shown.">
                    secret path
                  </span>
                )}
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

function StepTimeline({
  execution,
  now,
  onJump,
}: {
  execution: ExecutionDetail;
  now: number;
  onJump: (line: number) => void;
}) {
  const bars = stepBars(execution.steps, execution.startedAt, execution.finishedAt, now);
  return (
    <section aria-labelledby="steps-heading">
      <h2 id="steps-heading">Steps</h2>
      <ol className="step-timeline">
        {execution.steps.map((step, index) => (
          <StepRow key={step.index} step={step} bar={bars[index] ?? null} now={now} onJump={onJump} />
        ))}
      </ol>
    </section>
  );
}

function StepRow({
  step,
  bar,
  now,
  onJump,
}: {
  step: ExecutionStep;
  bar: { left: number; width: number } | null;
  now: number;
  onJump: (line: number) => void;
}) {
  const duration = step.startedAt
    ? formatDurationForUi(elapsedMs(step.startedAt, step.finishedAt, now))
    : null;
  const firstLine = step.logFirstLine;
  return (
    <li className={`step-row step-${step.state}`}>
      <span className="step-number" aria-hidden="true">
        {step.index + 1}
      </span>
      <div className="step-main">
        <div className="step-head">
          {firstLine !== null ? (
            <button
              type="button"
              className="step-jump step-name"
              title={`Show in the log (line ${firstLine + 1})`}
              onClick={() => onJump(firstLine)}
            >
              {step.name}
            </button>
          ) : (
            <span className="step-name">{step.name}</span>
          )}
          <StateBadge state={step.state} />
          {duration && <span className="muted">{duration}</span>}
          {step.exitCode !== null && step.state !== 'succeeded' && !step.reason && (
            <span className="muted">exit code {step.exitCode}</span>
          )}
          {step.childExecutionId !== null && (
            <Link href={`/executions/${step.childExecutionId}`} className="step-child">
              execution #{step.childExecutionId} →
            </Link>
          )}
        </div>
        {step.reason && <p className="step-reason">{capitalize(step.reason)}</p>}
        {step.handlerState && (
          <p className="step-reason muted">
            Its error handler {formatState(step.handlerState)}
            {step.handlerExitCode !== null ? ` (exit code ${step.handlerExitCode})` : ''}.
          </p>
        )}
        <div className="step-track" aria-hidden="true">
          {bar && <span className="step-bar" style={{ left: `${bar.left}%`, width: `${bar.width}%` }} />}
        </div>
      </div>
    </li>
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A button that asks once more before doing something that cannot be undone. */
function ConfirmAction({
  label,
  question,
  confirmLabel,
  keepLabel,
  danger,
  onConfirm,
  invalidHint,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  keepLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  /** Said under an input error (400), e.g. where to go instead. */
  invalidHint?: ReactNode;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setAsking(false);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="confirm-action">
      {asking ? (
        <div className="confirm" role="group" aria-label={question}>
          <span>{question}</span>
          <button
            type="button"
            className={danger ? 'danger' : 'primary'}
            disabled={busy}
            onClick={() => void confirm()}
          >
            {busy ? `${confirmLabel}…` : confirmLabel}
          </button>
          <button type="button" disabled={busy} onClick={() => setAsking(false)}>
            {keepLabel}
          </button>
        </div>
      ) : (
        <button type="button" className={danger ? 'danger' : undefined} onClick={() => setAsking(true)}>
          {label}
        </button>
      )}
      <ActionError error={error}>
        {error instanceof ApiError && error.status === 400 && invalidHint}
      </ActionError>
    </div>
  );
}

/** A refused action in words: 403s say what is missing rather than "forbidden". */
function ActionError({ error, children }: { error: unknown; children?: ReactNode }) {
  if (!error) return null;
  if (error instanceof ApiError && error.status === 403) {
    return (
      <p className="error action-error" role="alert">
        You may not do this: {refusalReason(error.message)}.
      </p>
    );
  }
  return (
    <div className="action-error">
      <ErrorMessage error={error} />
      {children}
    </div>
  );
}

function CancelAction({ execution }: { execution: ExecutionDetail }) {
  const queryClient = useQueryClient();
  return (
    <ConfirmAction
      label="Cancel"
      question={
        execution.state === 'running' ? 'Stop it and its whole process tree?' : 'Cancel it before it runs?'
      }
      confirmLabel="Yes, cancel"
      keepLabel={execution.state === 'running' ? 'Keep running' : 'Keep it'}
      danger
      onConfirm={async () => {
        await post(`${executionPath(execution.id)}/cancel`);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: ['execution', execution.id] }),
          queryClient.invalidateQueries({ queryKey: ['executions'] }),
        ]);
      }}
    />
  );
}

function RerunAction({ execution }: { execution: ExecutionDetail }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const optionCount = Object.keys(execution.options).length;
  // The API shows an option that held a secret as ***** (see executions/store.ts): running again
  // with the stars would be another run, so send the user to the job's form instead.
  if (Object.values(execution.options).includes('*****')) {
    return (
      <p className="hint">
        An option of this run held a secret.{' '}
        <Link href={`/jobs/${encodeURIComponent(execution.project)}/${encodeURIComponent(execution.job)}`}>
          Run it from its page
        </Link>{' '}
        to give it again.
      </p>
    );
  }
  return (
    <ConfirmAction
      label="Run again"
      question={
        optionCount === 0
          ? `Run ${execution.project}/${execution.job} again?`
          : `Run ${execution.project}/${execution.job} again with the same ${optionCount === 1 ? 'option' : `${optionCount} options`}?`
      }
      confirmLabel="Run again"
      keepLabel="No"
      onConfirm={async () => {
        const path = `/api/v1/jobs/${encodeURIComponent(execution.project)}/${encodeURIComponent(execution.job)}/executions`;
        const { execution: next } = await post<{ execution: Execution }>(path, {
          options: execution.options,
        });
        await queryClient.invalidateQueries({ queryKey: ['executions'] });
        navigate(`/executions/${next.id}`);
      }}
      invalidHint={
        <p className="hint">
          The job changed since this run.{' '}
          <Link href={`/jobs/${encodeURIComponent(execution.project)}/${encodeURIComponent(execution.job)}`}>
            Run it from its page
          </Link>{' '}
          with options that fit it now.
        </p>
      }
    />
  );
}

/** What the error budget (the admission gates) said when it was created: approval asked, override used. */
function AdmissionPanel({ execution }: { execution: ExecutionDetail }) {
  const rows = admissionRows(execution.admission);
  if (rows.length === 0) return null;
  return (
    <section aria-labelledby="admission-heading" className="panel admission-panel">
      <h2 id="admission-heading">Error budget</h2>
      <ul className="admission-notes">
        {rows.map((row, index) => (
          <li key={index} className={`admission-${row.tone}`}>
            <p>
              {rows.length > 1 || row.gate !== 'Error budget' ? (
                <span className="muted">{row.gate}: </span>
              ) : null}
              <strong className="admission-decision">{row.decision}</strong>: {row.reason}
            </p>
            {row.override && (
              <p className="admission-override">
                Overridden by <strong>{row.override.by}</strong>
                {row.override.until && (
                  <>
                    {' '}
                    until <time dateTime={row.override.until}>{formatTime(row.override.until)}</time>
                  </>
                )}
                : <q>{row.override.reason}</q>
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** While a change's counted hours pass, its cost grows as the evaluation measures them. */
const BUDGET_COST_POLL_MS = 60_000;

/**
 * What a change cost its service's SLOs in the hours after it started ("this change consumed 12%
 * of checkout/availability's 30d budget in the 4 h after it"). Nothing for other executions, one
 * that has not started, or a server that cannot say (older than the route).
 */
function BudgetCostPanel({ execution }: { execution: ExecutionDetail }) {
  const started = execution.startedAt !== null;
  const costs = useQuery({
    queryKey: ['execution', execution.id, 'budget-cost'],
    queryFn: ({ signal }) => get<ExecutionBudgetCosts>(budgetCostPath(execution.id), {}, signal),
    enabled: started,
    refetchInterval: (query) =>
      budgetCostStillCounting(query.state.data?.costs) ? BUDGET_COST_POLL_MS : false,
  });
  const rows = budgetCostRows(costs.data?.costs);
  if (rows.length === 0) return null;
  return (
    <section aria-labelledby="budget-cost-heading" className="panel budget-cost-panel">
      <h2 id="budget-cost-heading">Error budget cost</h2>
      <ul className="admission-notes">
        {rows.map((row) => (
          <li key={row.slo} className={`budget-cost-${row.tone}`}>
            <p>
              {row.text} · <Link href={row.servicePath}>service page</Link>
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ApprovalPanel({
  execution,
  now,
  onDecided,
}: {
  execution: ExecutionDetail;
  now: number;
  onDecided: () => Promise<void>;
}) {
  const user = useUser();
  const awaiting = execution.state === 'awaiting_approval';
  const inbox = useQuery({
    queryKey: ['approvals'],
    queryFn: ({ signal }) => get<PendingApprovals>('/api/v1/approvals', {}, signal),
    enabled: awaiting,
  });
  const { required, decisions } = execution.approval!;
  const progress = approvalProgress(required, decisions);
  const standing = approvalStanding(execution, user.name, inbox.data);
  const countdown = expiryCountdown(required.expiresAt, now);
  const approvers = describeApprovers(required.approvers);
  return (
    <section
      aria-labelledby="approval-heading"
      className={awaiting ? 'panel approval-panel awaiting' : 'panel approval-panel'}
    >
      <h2 id="approval-heading">Approval</h2>
      <p>
        {awaiting ? 'Needs' : 'Needed'}{' '}
        {required.count === 1 ? 'one approval' : `${required.count} approvals`} from{' '}
        <strong>{approvers}</strong>
        {awaiting && (
          <>
            {' '}
            · {progress.approvals} of {progress.needed} so far ·{' '}
            <span className={countdown.urgent ? 'countdown urgent' : 'countdown'}>
              {countdown.expired ? countdown.text : `rejected ${countdown.text} unless approved`}
            </span>
          </>
        )}
      </p>
      {decisions.length > 0 && (
        <ul className="decisions">
          {decisions.map((decision) => (
            <li key={decision.approver}>
              <strong>{decision.approver}</strong>{' '}
              <span className={decision.decision === 'approved' ? 'decision-approved' : 'decision-rejected'}>
                {decision.decision}
              </span>{' '}
              <time className="muted" dateTime={decision.at} title={formatTime(decision.at)}>
                {formatAgo(decision.at, now)}
              </time>
              {decision.comment && <q>{decision.comment}</q>}
            </li>
          ))}
        </ul>
      )}
      {awaiting && standing.kind === 'requester' && (
        <p className="muted">
          You requested this run, so someone else must approve or reject it: {approvers}. You can still cancel
          it.
        </p>
      )}
      {awaiting && standing.kind === 'decided' && (
        <p className="muted">
          You {standing.decision} it {formatAgo(standing.at, now)}; each person decides once.
        </p>
      )}
      {awaiting && standing.kind === 'not-approver' && (
        <p className="muted">
          It is not yours to decide: {approvers} must, or someone a policy allows `approve` on the job.
        </p>
      )}
      {awaiting && standing.kind === 'unknown' && inbox.isPending && (
        <Loading what="Checking whether you may decide" />
      )}
      {awaiting && standing.kind === 'unknown' && inbox.error !== null && (
        <ErrorMessage error={inbox.error} />
      )}
      {awaiting && standing.kind === 'may-decide' && (
        <DecisionForm
          executionId={execution.id}
          onDecided={onDecided}
          renderError={(error) => <ActionError error={error} />}
        />
      )}
    </section>
  );
}
