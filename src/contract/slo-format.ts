/**
 * How SLO numbers read, the same in the CLI and on the pages: a target as written (99.9%), an
 * SLI to the precision a target needs (99.953%), a budget left to one decimal (below 0 when
 * overspent), a burn rate as a multiple (14.4×). `none` is what a missing value shows ("-" in a
 * terminal table, "—" on a page).
 */
import type { AdmissionNoteView } from './executions.js';
import type { BudgetView, ExecutionBudgetCostView, GateStateView } from './slos.js';

/** 0.999 → `99.9%`: up to four decimals, no trailing zeros, as targets are written. */
export function formatTarget(target: number): string {
  return `${trimZeros((target * 100).toFixed(4))}%`;
}

/** An SLI as a percentage with three decimals, enough to tell 99.95% from a 99.9% target. */
export function formatSli(sli: number | null, none = '-'): string {
  return sli === null ? none : `${(sli * 100).toFixed(3)}%`;
}

/** A ratio (budget left, attainment) as a percentage with one decimal. */
export function formatPercent(ratio: number | null, none = '-'): string {
  return ratio === null ? none : `${(ratio * 100).toFixed(1)}%`;
}

/** A burn rate: `14.4×`, `0.25×`. */
export function formatBurnRate(rate: number | null, none = '-'): string {
  if (rate === null) return none;
  return `${trimZeros(rate.toFixed(rate < 10 ? 2 : 1))}×`;
}

/**
 * The budget in its natural unit: `3 of 10 events left`, `-0.8 of 0.2 events left`, `-13 of
 * 1008 min left`. Each amount with the precision its size needs (formatBudgetAmount).
 */
export function formatBudgetNatural(budget: BudgetView | null, none = '-'): string {
  if (budget === null) return none;
  const unit = budget.unit === 'events' ? 'events' : 'min';
  return `${formatBudgetAmount(budget.remaining)} of ${formatBudgetAmount(budget.allowed)} ${unit} left`;
}

/**
 * An amount of budget (bad events or bad minutes): whole from 10, one decimal from 1, two
 * significant digits below 1. A 90% SLO over two events allows 0.2 bad events; rounding that to
 * a whole number read "-1 of 0 events left", and ten decimals of binary noise read no better.
 * Below a millionth it is 0.
 */
export function formatBudgetAmount(value: number): string {
  const size = Math.abs(value);
  let decimals = 0;
  if (size < 1e-6) decimals = 0;
  else if (size < 1) decimals = Math.min(6, 1 - Math.floor(Math.log10(size)));
  else if (size < 10) decimals = 1;
  const text = trimZeros(value.toFixed(decimals));
  // -0.00000001 rounds to "-0", which reads as an overspent budget that is not.
  return text === '-0' ? '0' : text;
}

/** What the budget gate does, in words: `open`, `approval: …`, `frozen: …`. */
export function formatGate(gate: GateStateView): string {
  return gate.reason === null ? gate.state : `${gate.state}: ${gate.reason}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

const ADMISSION_DECISIONS: Record<AdmissionNoteView['decision'], string> = {
  admitted: 'admitted',
  approval: 'approval required',
  refused: 'refused',
  overridden: 'overridden',
};

/** What a gate decided about an execution, in words: `approval required`, `overridden`. */
export function formatAdmissionDecision(decision: AdmissionNoteView['decision']): string {
  return ADMISSION_DECISIONS[decision];
}

/**
 * One admission note on one line, for `baton execution ID`: the decision and the gate's reason,
 * then who overrode it, why, and until when the override holds. `time` formats an ISO time the
 * way the caller prints times.
 */
export function formatAdmissionNote(note: AdmissionNoteView, time: (iso: string) => string): string {
  const override = note.override
    ? `; overridden by ${note.override.by}${note.override.until ? ` until ${time(note.override.until)}` : ''}: ${note.override.reason}`
    : '';
  return `${formatAdmissionDecision(note.decision)}: ${note.reason}${override}`;
}

/** Hours as people read them: `<1 min`, `25 min` under an hour, then `2 h`, `2.5 h`. */
export function formatHours(hours: number): string {
  if (hours * 60 < 0.5) return '<1 min';
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  return `${trimZeros(hours.toFixed(1))} h`;
}

/**
 * What a change cost one SLO, for the execution's page and `baton execution ID`: "this change
 * consumed 12.0% of checkout/availability's 30d budget in the 4 h after it (2 h measured so
 * far)". A recent change says how much of the span has passed; one without data says so.
 */
export function formatExecutionBudgetCost(cost: ExecutionBudgetCostView): string {
  const span = `${formatHours(cost.hours)} after it`;
  const sofar =
    cost.hoursMeasured < cost.hours ? ` (${formatHours(cost.hoursMeasured)} measured so far)` : '';
  if (cost.budgetConsumedRatio === null) return `no data for ${cost.slo} in the ${span}${sofar}`;
  return `this change consumed ${formatPercent(cost.budgetConsumedRatio)} of ${cost.slo}'s ${cost.window} budget in the ${span}${sofar}`;
}
