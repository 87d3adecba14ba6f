/**
 * Admission gates: checks that capabilities above automation make on an execution before it is
 * stored (the error-budget policy of reliability/ is the first). Automation declares the
 * interface and asks every registered gate on every way an execution is created; the
 * composition roots (app.ts for servers, runtime.ts for workers) register the gates, so
 * automation never imports what sits above it.
 *
 * Which creations are admitted, and why:
 * - `run` (CLI, API, UI), `rerun`, `schedule`, `rule` and `job-step` (a nested `job:` step starts
 *   a child execution of another job): each is a new decision to change something now, so each
 *   meets the gates as it is at that moment.
 * - Retries and fan-out children are not: they are attempts and parts of an execution that was
 *   admitted already, and refusing the second half of a change that is under way helps nobody.
 */
import type { Principal } from '../../access/model.js';
import { ConflictError } from '../../platform/errors.js';

/** What a job says it is, for the gates: only `change` is gated by the error budget. */
export const JOB_PURPOSES = ['change', 'remediation', 'diagnostic', 'maintenance', 'routine'] as const;
export type JobPurpose = (typeof JOB_PURPOSES)[number];

/** How the execution is being created. */
export type AdmissionTrigger = 'run' | 'rerun' | 'schedule' | 'rule' | 'job-step';

export interface AdmissionRequest {
  job: {
    project: string;
    name: string;
    labels: Readonly<Record<string, string>>;
    service: string | undefined;
    purpose: JobPurpose;
  };
  /** Who the execution runs as: the requester, a schedule's or rule's owner. */
  actor: Principal;
  trigger: AdmissionTrigger;
  /** An override the requester asked for (`--override-budget "reason"`). */
  override?: { reason: string };
  now: number;
}

/** What one gate said, kept on the execution and in its audit record. */
export interface AdmissionNote {
  /** The gate's name, e.g. `error-budget`. */
  gate: string;
  decision: 'admitted' | 'approval' | 'refused' | 'overridden';
  /** One line a person can act on. */
  reason: string;
  /** Set when an override let the execution through. */
  override?: { by: string; reason: string; until?: string };
  /** Facts the gate decided on (SLO, remaining budget, burn rate, rule), as shown to people. */
  details?: Record<string, unknown>;
}

export type AdmissionVerdict =
  /** Let it through; a note only when there is something worth recording. */
  | { verdict: 'admit'; note?: AdmissionNote }
  /** Let it through once these subjects (`team/NAME`, `user/NAME`) approve. */
  | { verdict: 'approve'; approvers: string[]; note: AdmissionNote }
  | { verdict: 'refuse'; note: AdmissionNote };

export interface AdmissionGate {
  readonly name: string;
  admit(request: AdmissionRequest): Promise<AdmissionVerdict>;
}

/** A refused execution: 409, with the gate's note for the CLI, the API and the UI. */
export class AdmissionRefusedError extends ConflictError {
  constructor(readonly note: AdmissionNote) {
    super(note.reason);
  }
}

/** The combined answer of every gate: approvers to add (if any) and the notes to keep. */
export interface Admission {
  approvers: string[];
  notes: AdmissionNote[];
}

/** The gates registered at the composition root, asked in registration order. */
export class AdmissionGates {
  private readonly gates: AdmissionGate[] = [];

  register(gate: AdmissionGate): void {
    this.gates.push(gate);
  }

  get isEmpty(): boolean {
    return this.gates.length === 0;
  }

  /** Asks every gate; throws AdmissionRefusedError at the first refusal. */
  async admit(request: AdmissionRequest): Promise<Admission> {
    const admission: Admission = { approvers: [], notes: [] };
    for (const gate of this.gates) {
      const verdict = await gate.admit(request);
      if (verdict.verdict === 'refuse') throw new AdmissionRefusedError(verdict.note);
      if (verdict.note) admission.notes.push(verdict.note);
      if (verdict.verdict === 'approve') {
        for (const approver of verdict.approvers)
          if (!admission.approvers.includes(approver)) admission.approvers.push(approver);
      }
    }
    return admission;
  }
}
