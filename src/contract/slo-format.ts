/**
 * How SLO numbers read, the same in the CLI and on the pages: a target as written (99.9%), an
 * SLI to the precision a target needs (99.953%), a budget left to one decimal (below 0 when
 * overspent), a burn rate as a multiple (14.4×). `none` is what a missing value shows ("-" in a
 * terminal table, "—" on a page).
 */
import type { BudgetView, GateStateView } from './slos.js';

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

/** The budget in its natural unit: `3 of 10 events left`, `-12 of 403 min left`. */
export function formatBudgetNatural(budget: BudgetView | null, none = '-'): string {
  if (budget === null) return none;
  const unit = budget.unit === 'events' ? 'events' : 'min';
  const amount = (value: number) => trimZeros(value.toFixed(budget.unit === 'events' ? 0 : 1));
  return `${amount(budget.remaining)} of ${amount(budget.allowed)} ${unit} left`;
}

/** What the budget gate does, in words: `open`, `approval: …`, `frozen: …`. */
export function formatGate(gate: GateStateView): string {
  return gate.reason === null ? gate.state : `${gate.state}: ${gate.reason}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
