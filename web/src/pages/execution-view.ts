/** How an execution reads on its page: what may be done with it, step bars, approval standing. Pure. */
import type { ExecutionDetail, ExecutionStep } from '../api/executions';
import type { PendingApprovals } from '../api/approvals';
import { FINISHED_STATES } from '../api/types';
import type { AdmissionNoteView } from '../../../src/contract/executions.js';
import type { ExecutionBudgetCost } from '../api/slos';
import { formatAdmissionDecision, formatExecutionBudgetCost } from '../../../src/contract/slo-format.js';

/** Queued, running and awaiting executions can be cancelled; finished ones cannot. */
export function isCancellable(execution: Pick<ExecutionDetail, 'state' | 'cancelRequestedAt'>): boolean {
  return !FINISHED_STATES.has(execution.state) && execution.cancelRequestedAt === null;
}

/** Where a finished log opens: at the end for a failure (whose cause is usually last), else the start. */
export function logOpensAt(state: string): 'start' | 'end' {
  return state === 'failed' || state === 'timed_out' ? 'end' : 'start';
}

/**
 * The lines a log view opens on, [from, to): around the line picked in the URL, the end of a
 * running log or of a failure, or the start. Null when there is nothing to show yet. The page
 * fetches them as soon as it has the execution, while it renders; the log view opens in the
 * same place (log-view.tsx).
 */
export function openingLines(
  execution: Pick<ExecutionDetail, 'state' | 'log'>,
  selectedLine: number | null,
  around = 60,
): { from: number; to: number } | null {
  const lines = execution.log.lines;
  if (lines === 0) return null;
  const live = !FINISHED_STATES.has(execution.state);
  let line: number;
  if (selectedLine !== null) line = Math.min(selectedLine, lines - 1);
  else if (live || logOpensAt(execution.state) === 'end') line = lines - 1;
  else line = 0;
  return { from: Math.max(0, line - around), to: Math.min(lines, line + around) };
}

/** A step's bar on the execution's time line, in percent of the run, or null before it started. */
export interface StepBar {
  left: number;
  width: number;
}

/**
 * Bars for the steps between the execution's start and its end (or `now` while it runs). A bar
 * is at least 0.5% wide, so an instant step still shows.
 */
export function stepBars(
  steps: readonly Pick<ExecutionStep, 'startedAt' | 'finishedAt'>[],
  startedAt: string | null,
  finishedAt: string | null,
  now: number,
): (StepBar | null)[] {
  if (!startedAt) return steps.map(() => null);
  const start = Date.parse(startedAt);
  const end = Math.max(finishedAt ? Date.parse(finishedAt) : now, start + 1);
  const span = end - start;
  return steps.map((step) => {
    if (!step.startedAt) return null;
    const from = Math.min(Math.max(Date.parse(step.startedAt) - start, 0), span);
    const to = Math.min(Math.max((step.finishedAt ? Date.parse(step.finishedAt) : now) - start, from), span);
    const left = (from / span) * 100;
    const width = Math.max(((to - from) / span) * 100, 0.5);
    return { left: Math.min(left, 99.5), width: Math.min(width, 100 - Math.min(left, 99.5)) };
  });
}

/** Where the signed-in user stands on an execution that awaits approval. */
export type ApprovalStanding =
  /** They requested it: someone else must decide. */
  | { kind: 'requester' }
  /** They decided already (each person decides once). */
  | { kind: 'decided'; decision: 'approved' | 'rejected'; at: string }
  /** Their approvals inbox holds it: they may approve or reject. */
  | { kind: 'may-decide' }
  /** Not theirs to decide. */
  | { kind: 'not-approver' }
  /** Their inbox has not loaded yet. */
  | { kind: 'unknown' };

export function approvalStanding(
  execution: Pick<ExecutionDetail, 'id' | 'requestedBy' | 'approval'>,
  userName: string,
  inbox: PendingApprovals | undefined,
): ApprovalStanding {
  if (execution.requestedBy === userName) return { kind: 'requester' };
  const earlier = execution.approval?.decisions.find((decision) => decision.approver === userName);
  if (earlier) return { kind: 'decided', decision: earlier.decision, at: earlier.at };
  if (!inbox) return { kind: 'unknown' };
  return inbox.approvals.some((pending) => pending.execution.id === execution.id)
    ? { kind: 'may-decide' }
    : { kind: 'not-approver' };
}

/** The reason of a refusal without the API's "forbidden: " prefix, to follow "You may not …". */
export function refusalReason(message: string): string {
  return message.replace(/^forbidden:\s*/i, '');
}

/** One gate's note as the execution page's "Error budget" panel shows it. */
export interface AdmissionRow {
  /** The gate, in words: `Error budget` for `error-budget`. */
  gate: string;
  /** `overridden`, `approval required`, … (the CLI's words, slo-format.ts). */
  decision: string;
  tone: 'ok' | 'warn' | 'bad';
  reason: string;
  override: { by: string; reason: string; until: string | null } | null;
}

const GATE_NAMES: Record<string, string> = { 'error-budget': 'Error budget' };
const DECISION_TONES = { admitted: 'ok', approval: 'warn', refused: 'bad', overridden: 'warn' } as const;

/**
 * What the admission gates said when the execution was created, one row per note. Empty when no
 * gate spoke (not a change job, or a budget with room), and for a server older than the gates.
 */
export function admissionRows(notes: readonly AdmissionNoteView[] | undefined): AdmissionRow[] {
  return (notes ?? []).map((note) => ({
    gate: GATE_NAMES[note.gate] ?? note.gate,
    decision: formatAdmissionDecision(note.decision),
    tone: DECISION_TONES[note.decision],
    reason: note.reason,
    override: note.override
      ? { by: note.override.by, reason: note.override.reason, until: note.override.until ?? null }
      : null,
  }));
}

/** One SLO's line in the execution's budget cost panel. */
export interface BudgetCostRow {
  slo: string;
  /** The service page, where the SLO's burn-down marks the change. */
  servicePath: string;
  text: string;
  /** `none` without data; `bad` once the change took a tenth of the budget or more. */
  tone: 'none' | 'ok' | 'bad';
}

/** A change this costly is worth a second look: a tenth of a month's budget in a few hours. */
const COSTLY_SHARE = 0.1;

/** Lines for the execution page, one per SLO of the change's service; empty for other executions. */
export function budgetCostRows(costs: readonly ExecutionBudgetCost[] | undefined): BudgetCostRow[] {
  return (costs ?? []).map((cost) => ({
    slo: cost.slo,
    servicePath: `/services/${encodeURIComponent(cost.slo.slice(0, cost.slo.indexOf('/')))}`,
    text: formatExecutionBudgetCost(cost),
    tone:
      cost.budgetConsumedRatio === null ? 'none' : cost.budgetConsumedRatio >= COSTLY_SHARE ? 'bad' : 'ok',
  }));
}

/** Whether the costs can still change: some SLO's counted hours have not all passed yet. */
export function budgetCostStillCounting(costs: readonly ExecutionBudgetCost[] | undefined): boolean {
  return (costs ?? []).some((cost) => cost.hoursMeasured < cost.hours);
}
