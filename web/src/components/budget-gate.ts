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
  // The rule and the SLO's numbers: the notice says the verdict, the job is the page's subject,
  // and the form has the override box the terminal's hint would describe.
  const why = check.because ?? check.reason;
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
