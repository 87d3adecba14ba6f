/**
 * Admission gates: checks that capabilities above automation make on an execution before it is
 * stored (the error-budget policy of reliability/ is the first). Automation declares the
 * interface and asks every registered gate on every way an execution is created; the Runtime
 * holds one `AdmissionGates` and the composition roots (app.ts for servers, worker-process.ts
 * for standalone workers) register the gates in it, so automation never imports what sits above it.
 *
 * Which creations are admitted, and why:
 * - `run` (CLI, API, UI), `rerun`, `schedule`, `rule` and `job-step` (a nested `job:` step starts
 *   a child execution of another job): each is a new decision to change something now, so each
 *   meets the gates as it is at that moment.
 * - A nested `job:` step's child runs at once inside its parent's worker slot, so it cannot wait
 *   for an approval: a gate that asks for one fails the step with its reason, like a refusal.
 * - An `approve` verdict adds the gate's approvers to the stored spec's approval
 *   (`withGateApprovers`), so the execution waits in `awaiting_approval` like any job's.
 * - Retries and fan-out children are not: they are attempts and parts of an execution that was
 *   admitted already, and refusing the second half of a change that is under way helps nobody.
 */
import type { Principal } from '../../access/model.js';
import type { Db } from '../../platform/db/database.js';
import type { JobSpec } from '../jobs/model.js';
import { JOB_PURPOSE_NAMES } from '../../contract/slos.js';
import { BatonError } from '../../platform/errors.js';

/**
 * What a job says it is, for the gates: only `change` is gated by the error budget. The list is
 * the contract's, so the job document, the gate and the wire agree.
 */
export const JOB_PURPOSES = JOB_PURPOSE_NAMES;
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
  override?: { reason: string } | undefined;
  now: number;
}

/**
 * What a gate writes once the execution it admitted is stored (an override row, its audit
 * record), in the transaction that inserts the execution: a refused or failed insert leaves
 * no override behind.
 */
export type AdmissionRecord = (trx: Db, executionId: number) => Promise<void>;

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
  | { verdict: 'admit'; note?: AdmissionNote; record?: AdmissionRecord }
  /** Let it through once these subjects (`team/NAME`, `user/NAME`) approve. */
  | { verdict: 'approve'; approvers: string[]; note: AdmissionNote }
  | { verdict: 'refuse'; note: AdmissionNote };

export interface AdmissionGate {
  readonly name: string;
  /**
   * Decides on one creation. `db` is the connection the creation runs on (the scheduler's
   * transaction, say): on SQLite's one connection, a read outside it would wait for it forever.
   */
  admit(request: AdmissionRequest, db: Db): Promise<AdmissionVerdict>;
}

/**
 * A refused execution: 409 with code `admission_refused` (the CLI exits with its own code for
 * it), and the gate's note for the API and the UI.
 */
export class AdmissionRefusedError extends BatonError {
  readonly status = 409;
  readonly code = 'admission_refused';
  constructor(readonly note: AdmissionNote) {
    super(note.reason);
  }
}

/** The combined answer of every gate: approvers to add (if any), the notes to keep, what to write. */
export interface Admission {
  approvers: string[];
  notes: AdmissionNote[];
  records: AdmissionRecord[];
}

/** Nothing to say: what an execution created without gates carries. */
export const NO_ADMISSION: Admission = { approvers: [], notes: [], records: [] };

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
  async admit(request: AdmissionRequest, db: Db): Promise<Admission> {
    const admission: Admission = { approvers: [], notes: [], records: [] };
    for (const gate of this.gates) {
      const verdict = await gate.admit(request, db);
      if (verdict.verdict === 'refuse') throw new AdmissionRefusedError(verdict.note);
      if (verdict.note) admission.notes.push(verdict.note);
      if (verdict.verdict === 'admit' && verdict.record) admission.records.push(verdict.record);
      if (verdict.verdict === 'approve') {
        for (const approver of verdict.approvers)
          if (!admission.approvers.includes(approver)) admission.approvers.push(approver);
      }
    }
    return admission;
  }
}

/** The job's purpose as the gates see it: `routine` unless the job says otherwise. */
export function purposeOf(spec: Pick<JobSpec, 'purpose'>): JobPurpose {
  return spec.purpose ?? 'routine';
}

/**
 * The spec snapshot an execution keeps, with the gates' approvers added to its approval
 * requirement: the stored `spec.approval` is what approvals read, so a gate's "approve" becomes an
 * approval like any job's. A job's own approval keeps its count and expiry and gains the
 * approvers; a job without one needs one approval from them, within the default expiry.
 */
export function withGateApprovers(spec: JobSpec, approvers: readonly string[]): JobSpec {
  if (approvers.length === 0) return spec;
  const own = spec.approval;
  if (!own) return { ...spec, approval: { approvers: [...approvers] } };
  const current = typeof own.approvers === 'string' ? [own.approvers] : [...own.approvers];
  for (const approver of approvers) if (!current.includes(approver)) current.push(approver);
  return { ...spec, approval: { ...own, approvers: current } };
}
