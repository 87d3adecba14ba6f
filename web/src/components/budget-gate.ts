/**
 * What the run form says about the error budget before Run, from `POST /api/v1/budget/check`.
 * Pure, so the wording is tested without a browser.
 */
import type { BudgetCheck } from '../api/slos';

export interface GateNotice {
  tone: 'info' | 'approve' | 'refuse';
  text: string;
  /** Whether the person may override (a checkbox and a reason appear). */
  overridable: boolean;
  /** Run stays disabled unless overridden: the gate refuses. */
  blocks: boolean;
}

/** The notice for a check's answer; null when there is nothing to say (not gated, or budget left). */
export function gateNotice(check: BudgetCheck): GateNotice | null {
  if (!check.gated || check.decision === 'admit') return null;
  const overridable = check.override.allowed;
  const why = gateReason(check.reason);
  if (check.decision === 'approve') {
    const who = check.approvers.length > 0 ? ` from ${check.approvers.join(', ')}` : '';
    return {
      tone: 'approve',
      text: `This change needs approval${who}: ${why}`,
      overridable,
      blocks: false,
    };
  }
  return { tone: 'refuse', text: `Refused: ${why}`, overridable, blocks: true };
}

/**
 * A run's reason, "change shop/deploy refused by …", "change … needs approval from team/payments: …",
 * or a service's gate state, "refused by …", "approval by team/payments required by …".
 */
const DECISION_PREFIX =
  /^(?:change .+? (?:refused by |refused: |needs approval from [^:]+: )|refused by |approval by \S+(?: or \S+)* required by )/;
/** "; to override, run: baton run shop/deploy --override-budget "REASON" (needs …)". */
const TERMINAL_HINT = /; to override, run: baton run .*$/;

/**
 * The policy's reason without what a page says otherwise. The gate writes one sentence for the
 * terminal: the decision and the job first (the notice's own words and the page's subject
 * already say them) and a `baton run --override-budget` hint last (the form has the checkbox).
 * What is left is the rule and the SLO's numbers. A reason in another shape is kept whole.
 */
export function gateReason(reason: string): string {
  return reason.replace(TERMINAL_HINT, '').replace(DECISION_PREFIX, '');
}

/** What the run request carries for an override: the reason, trimmed; nothing when not overriding. */
export function overrideRequest(
  overriding: boolean,
  reason: string,
): { overrideBudget?: { reason: string } } | { problem: string } {
  if (!overriding) return {};
  const trimmed = reason.trim();
  if (trimmed === '') return { problem: 'say why the error budget is overridden' };
  if (trimmed.length > 2000) return { problem: 'at most 2000 characters' };
  return { overrideBudget: { reason: trimmed } };
}
