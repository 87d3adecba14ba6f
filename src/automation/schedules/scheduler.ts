/**
 * The scheduler: fires due schedules. Every `baton server` runs one (standalone `baton worker`
 * processes do not: they run executions, and keeping the firing in the API servers leaves one
 * kind of process whose clock, policies snapshot and audit trail decide when and as whom a job
 * starts). Several servers may fire at the same moment; `claimFires` lets exactly one of them
 * queue each fire.
 *
 * Timing: the scheduler sleeps until the earliest `next_fire_at` of any schedule (so seconds-level
 * expressions fire on their second), at most `MAX_SLEEP_MS`, and wakes at once when schedules are
 * applied anywhere (the `schedules` event). Each wake-up fires everything due in batches, each
 * batch one transaction of a few statements, so a thousand schedules due in the same second cost
 * a few round trips, not a thousand transactions.
 *
 * Lateness: a fire later than MISFIRE_GRACE_MS is a misfire: `skip` moves to the next time after
 * now without running, `runOnce` runs once for everything missed, then moves on. A fire less late
 * runs for its own time, and each missed time within the grace runs too, in order: a server that
 * stalls for three seconds still queues one execution per second of an every-second schedule.
 */
import { queueNotifications } from '../notifications/outbox.js';
import { approvalRequirement } from '../approvals/model.js';
import { appendAudit } from '../../access/audit/trail.js';
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import { authorizeSecretOptions } from '../secrets/references.js';
import { resolveNodes } from '../nodes/resolve.js';
import type { DialectCapabilities } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import { BatonError, coerceError, formatProblem, InputError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import { insertExecutions, type NewExecution } from '../executions/store.js';
import { concurrencyOf } from '../executions/service.js';
import type { AdmissionGates } from '../executions/admission.js';
import {
  AdmissionRefusedError,
  NO_ADMISSION,
  purposeOf,
  withGateApprovers,
} from '../executions/admission.js';
import type { Job } from '../jobs/model.js';
import { resolveOptions } from '../jobs/options.js';
import { listJobsByName } from '../jobs/store.js';
import { nextFireTime } from './cron.js';
import { misfireDecision, type FireOutcome, type Schedule } from './model.js';
import {
  claimFires,
  earliestFireAt,
  findOwners,
  recordFireExecutions,
  selectDueSchedules,
  type PlannedFire,
} from './store.js';

/** The longest sleep: a backstop for a lost `schedules` wake-up from another server. */
const MAX_SLEEP_MS = 5_000;
/** A wait when something is due but another server holds it (it is firing it now). */
const BUSY_RETRY_MS = 50;
/** After a failure (the database away): try again after this long. */
const ERROR_RETRY_MS = 1_000;
/**
 * Due schedules per transaction. 500 keeps a batch's statements under both databases' parameter
 * limits and its row locks short; a burst of 1,000 is two transactions.
 */
export const DEFAULT_BATCH_SIZE = 500;

/** What one call of `fireDue` did. */
export interface FireReport {
  queued: { schedule: string; scheduledAt: number; executionId: number }[];
  skipped: { schedule: string; scheduledAt: number; reason: string }[];
  refused: { schedule: string; scheduledAt: number; reason: string }[];
}

export interface SchedulerOptions {
  db: Db;
  caps: DialectCapabilities;
  events: EventBus;
  access: AccessControl;
  metrics: Metrics;
  logger: Logger;
  batchSize?: number;
  /** Asked about every fire, as the schedule's owner (see admission.ts); a refusal is a refused fire. */
  gates?: AdmissionGates;
}

/** One due schedule's fire, decided before the claim. */
interface Decision {
  schedule: Schedule;
  fire: PlannedFire;
  execution?: NewExecution;
  /** Once inserted. */
  executionId?: number;
}

const nameOf = (schedule: Pick<Schedule, 'project' | 'name'>) => `${schedule.project}/${schedule.name}`;

export class Scheduler {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  /** Starts firing; wakes on `schedules` events. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.options.events.subscribe('schedules', () => this.wake());
    this.loop = this.run();
  }

  /** Stops firing; a batch in progress commits (or rolls back) first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wake();
    await this.loop;
  }

  private wake(): void {
    clearTimeout(this.timer);
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait: number;
      try {
        const report = await this.fireDue();
        const earliest = await earliestFireAt(this.options.db);
        const now = Date.now();
        wait = earliest === undefined ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(0, earliest - now));
        // Due but not fired by us: another server holds it; look again shortly, not in a spin.
        const firedAny = report.queued.length + report.skipped.length + report.refused.length > 0;
        if (wait === 0 && !firedAny) wait = BUSY_RETRY_MS;
      } catch (error) {
        this.options.logger.warn({ err: coerceError(error) }, 'firing schedules failed; will retry');
        wait = ERROR_RETRY_MS;
      }
      if (!this.stopped) await this.sleep(wait);
    }
  }

  /**
   * Fires every schedule due at `now` (default: the clock at each batch), batch after batch,
   * until nothing is due; returns what it did.
   */
  async fireDue(now?: number): Promise<FireReport> {
    const report: FireReport = { queued: [], skipped: [], refused: [] };
    for (;;) {
      const batch = await this.fireBatch(now ?? Date.now());
      report.queued.push(...batch.report.queued);
      report.skipped.push(...batch.report.skipped);
      report.refused.push(...batch.report.refused);
      // Every fire moved its schedule's next time forward, so this ends; a schedule still due
      // after its fire (a missed time within the grace) is fired again by the next batch.
      if (batch.selected === 0) return report;
    }
  }

  private async fireBatch(now: number): Promise<{ selected: number; report: FireReport }> {
    const { db, caps, events, metrics, logger } = this.options;
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const { selected, decisions } = await db.transaction().execute(async (trx) => {
      const due = await selectDueSchedules(trx, caps, now, batchSize);
      if (due.length === 0) return { selected: 0, decisions: [] as Decision[] };
      const decided = await this.decide(trx, due, now);
      const claimed = await claimFires(
        trx,
        caps,
        decided.map((decision) => decision.fire),
        now,
      );
      const won = decided.filter((decision) => claimed.has(decision.schedule.id));
      const queued = won.filter((decision) => decision.execution !== undefined);
      const ids = await insertExecutions(
        trx,
        queued.map((decision) => decision.execution!),
      );
      queued.forEach((decision, index) => (decision.executionId = ids[index]));
      await recordFireExecutions(
        trx,
        caps,
        queued.map((decision) => ({ scheduleId: decision.schedule.id, executionId: decision.executionId! })),
      );
      if (won.length > 0) await appendAudit(trx, auditEntry(won), now);
      return { selected: due.length, decisions: won };
    });

    const report: FireReport = { queued: [], skipped: [], refused: [] };
    const firedAt = Date.now();
    let claimable = false;
    for (const { schedule, fire, execution, executionId } of decisions) {
      const entry = { schedule: nameOf(schedule), scheduledAt: fire.dueAt };
      metrics.scheduleFires.inc({ outcome: fire.outcome });
      if (fire.outcome === 'queued') {
        report.queued.push({ ...entry, executionId: executionId! });
        metrics.scheduleFireLateness.observe((firedAt - fire.dueAt) / 1000);
        if (execution?.approvalExpiresAt === undefined) claimable = true;
        else await queueNotifications({ db, logger }, { id: executionId! }, 'approval_needed');
        events.publish('execution', executionId);
        if (fire.reason) logger.info({ schedule: entry.schedule, execution: executionId }, fire.reason);
      } else if (fire.outcome === 'skipped_misfire') {
        report.skipped.push({ ...entry, reason: fire.reason! });
        logger.info({ schedule: entry.schedule }, `schedule skipped: ${fire.reason}`);
      } else {
        report.refused.push({ ...entry, reason: fire.reason! });
        logger.warn(
          { schedule: entry.schedule, owner: schedule.owner },
          `schedule fire refused: ${fire.reason}`,
        );
      }
    }
    if (claimable) events.publish('queue');
    return { selected, report };
  }

  /** What each due schedule does: its outcome, its next time, and the execution to queue. */
  private async decide(db: Db, due: readonly Schedule[], now: number): Promise<Decision[]> {
    const jobs = await loadJobs(db, due);
    const owners = await findOwners(
      db,
      due.map((schedule) => schedule.owner),
    );
    const decisions: Decision[] = [];
    // Schedules of a burst share their expression and due time, so they share the time after it:
    // computing it once per expression instead of once per schedule (~0.1 ms each) matters at 1,000.
    const following = new Map<string, number | null>();
    const nextAfter = (schedule: Schedule, after: number): number | null => {
      const key = `${schedule.timezone}\n${schedule.cron}\n${after}`;
      let next = following.get(key);
      if (next === undefined) following.set(key, (next = safeNextFireTime(schedule, after)));
      return next;
    };
    for (const schedule of due) {
      const dueAt = schedule.nextFireAt!;
      const misfire = misfireDecision(schedule, dueAt, now);
      const fire = (outcome: FireOutcome, reason: string | null, after: number): PlannedFire => ({
        id: schedule.id,
        dueAt,
        nextFireAt: nextAfter(schedule, after),
        outcome,
        reason,
      });
      // Within the grace, the next time is the one after this one (a missed one still runs);
      // after a misfire it is the first one to come.
      const after = misfire.misfire ? now : dueAt;
      if (misfire.misfire && !misfire.run) {
        decisions.push({ schedule, fire: fire('skipped_misfire', misfire.reason, after) });
        continue;
      }
      const checked = await this.check(db, schedule, jobs.get(`${schedule.project}/${schedule.job}`), owners);
      if ('refused' in checked) {
        decisions.push({ schedule, fire: fire('refused', checked.refused, after) });
        continue;
      }
      const execution: NewExecution = { ...checked.execution, now };
      decisions.push({
        schedule,
        fire: fire('queued', misfire.misfire ? misfire.reason : null, after),
        execution,
      });
    }
    return decisions;
  }

  /**
   * The same checks as `baton run`, for the owner: the owner exists and is enabled, may run the
   * job (and use any secret the options pick), and the options fit the job as it is now.
   */
  private async check(
    db: Db,
    schedule: Schedule,
    job: Job | undefined,
    owners: Awaited<ReturnType<typeof findOwners>>,
  ): Promise<{ refused: string } | { execution: Omit<NewExecution, 'now'> }> {
    const jobName = `${schedule.project}/${schedule.job}`;
    if (!job) return { refused: `job ${jobName} no longer exists` };
    const owner = owners.get(schedule.owner);
    if (!owner) return { refused: `its owner "${schedule.owner}" no longer exists` };
    if (owner.disabled) return { refused: `its owner "${schedule.owner}" is disabled` };
    const principal: Principal = {
      kind: owner.kind === 'service' ? 'service' : 'user',
      id: owner.id,
      name: schedule.owner,
      isAdmin: owner.isAdmin,
      via: 'internal',
    };
    const decision = this.options.access.authorize(
      principal,
      'run',
      resources.job(schedule.project, schedule.job),
    );
    if (!decision.allowed) return { refused: `its owner may not run ${jobName}: ${decision.reason}` };
    let values;
    let onNodes;
    try {
      values = resolveOptions(job.spec.options ?? [], schedule.options);
      await authorizeSecretOptions(db, this.options.access, principal, job.spec, schedule.options);
      // The owner must be allowed on every node the job's filter matches at this fire.
      onNodes = await resolveNodes(db, this.options.access, principal, job.spec);
    } catch (error) {
      if (!(error instanceof BatonError)) throw error;
      const details = error instanceof InputError ? error.problems.map(formatProblem).join('; ') : '';
      return { refused: `${error.message}${details ? ` (${details})` : ''}` };
    }
    const gates = this.options.gates;
    let admission = NO_ADMISSION;
    if (gates && !gates.isEmpty) {
      try {
        // In the batch's transaction: on SQLite's one connection a read beside it would wait forever.
        // A schedule asks for no override, so no gate has anything to write for its fire.
        admission = await gates.admit(
          {
            job: {
              project: job.project,
              name: job.name,
              labels: job.labels,
              service: job.spec.service,
              purpose: purposeOf(job.spec),
            },
            actor: principal,
            trigger: 'schedule',
            now: Date.now(),
          },
          db,
        );
      } catch (error) {
        if (!(error instanceof AdmissionRefusedError)) throw error;
        return { refused: error.note.reason };
      }
    }
    const spec = withGateApprovers(onNodes?.spec ?? job.spec, admission.approvers);
    const approval = approvalRequirement(spec);
    const now = Date.now();
    return {
      execution: {
        jobId: job.id,
        project: job.project,
        job: job.name,
        jobRevision: job.revision,
        spec,
        options: values,
        requestedBy: schedule.owner,
        ...concurrencyOf(job, values),
        ...(approval && { approvalExpiresAt: now + approval.expiresMs }),
        ...(onNodes && { nodes: onNodes.names }),
        ...(admission.notes.length > 0 && { admission: admission.notes }),
      },
    };
  }
}

/** The next fire time; a schedule whose zone this runtime no longer knows stops (null) instead of failing the batch. */
function safeNextFireTime(schedule: Schedule, after: number): number | null {
  try {
    return nextFireTime(schedule.cron, schedule.timezone, after) ?? null;
  } catch {
    return null;
  }
}

/** The jobs the due schedules run, by `project/name`. */
async function loadJobs(db: Db, due: readonly Schedule[]): Promise<Map<string, Job>> {
  const byProject = new Map<string, Set<string>>();
  for (const schedule of due) {
    const names = byProject.get(schedule.project) ?? new Set();
    names.add(schedule.job);
    byProject.set(schedule.project, names);
  }
  const jobs = await listJobsByName(db, byProject);
  return new Map(jobs.map((job) => [`${job.project}/${job.name}`, job]));
}

/** One audit record per batch: what fired, as whom, and what was refused or skipped. */
function auditEntry(decisions: readonly Decision[]): Parameters<typeof appendAudit>[1] {
  const of = (outcome: FireOutcome) => decisions.filter((decision) => decision.fire.outcome === outcome);
  const at = (decision: Decision) => ({
    schedule: nameOf(decision.schedule),
    scheduledAt: new Date(decision.fire.dueAt).toISOString(),
  });
  return {
    actor: 'baton',
    action: 'schedule.fire',
    target:
      decisions.length === 1 ? `schedule/${nameOf(decisions[0]!.schedule)}` : `${decisions.length} schedules`,
    summary: {
      queued: of('queued').map((decision) => ({
        ...at(decision),
        execution: decision.executionId,
        as: decision.schedule.owner,
      })),
      refused: of('refused').map((decision) => ({ ...at(decision), reason: decision.fire.reason })),
      skipped: of('skipped_misfire').map((decision) => ({ ...at(decision), reason: decision.fire.reason })),
    },
  };
}
