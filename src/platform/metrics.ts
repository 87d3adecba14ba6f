/** Prometheus metrics: one registry per process, exported at GET /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly executionsFinished = new Counter({
    name: 'baton_executions_finished_total',
    help: 'Executions that reached a terminal state, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly executionDuration = new Histogram({
    name: 'baton_execution_duration_seconds',
    help: 'Time from start to finish of executions run by this process.',
    labelNames: ['state'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600],
    registers: [this.registry],
  });

  readonly queueLatency = new Histogram({
    name: 'baton_execution_queue_seconds',
    help: 'Time executions waited in the queue before a worker claimed them.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300],
    registers: [this.registry],
  });

  readonly logBytes = new Counter({
    name: 'baton_log_bytes_total',
    help: 'Bytes of step output stored in execution logs.',
    registers: [this.registry],
  });

  readonly logDiscardedBytes = new Counter({
    name: 'baton_log_discarded_bytes_total',
    help: 'Bytes of step output discarded because an execution reached its log limit.',
    registers: [this.registry],
  });

  readonly logFollowers = new Gauge({
    name: 'baton_log_followers',
    help: 'Live log streams (Server-Sent Events) open on this server.',
    registers: [this.registry],
  });

  readonly logFollowReaders = new Gauge({
    name: 'baton_log_follow_readers',
    help: 'Executions whose log this server reads for its followers: one reader each, however many follow.',
    registers: [this.registry],
  });

  readonly logFollowReads = new Counter({
    name: 'baton_log_follow_reads_total',
    help: 'Log reads for live followers, by reader: shared (one per execution) or catch_up (a follower behind the shared window).',
    labelNames: ['reader'] as const,
    registers: [this.registry],
  });

  readonly logStreamsRefused = new Counter({
    name: 'baton_log_streams_refused_total',
    help: 'Live log streams refused with 429, by limit reached: per_user or total.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Histogram({
    name: 'baton_http_request_duration_seconds',
    help: 'HTTP requests by route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly dutyRuns = new Counter({
    name: 'baton_duty_runs_total',
    help: 'Once-only duties (lease recovery, retention) run by this process while it held the duty lease.',
    labelNames: ['duty'] as const,
    registers: [this.registry],
  });

  readonly recovered = new Counter({
    name: 'baton_executions_recovered_total',
    help: 'Executions of lost workers, recovered by this process: re-queued or failed.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly retentionDeleted = new Counter({
    name: 'baton_retention_deleted_total',
    help: 'Rows deleted by retention: executions, and the log chunks that went with them.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly retentionDeletedLogBytes = new Counter({
    name: 'baton_retention_deleted_log_bytes_total',
    help: 'Uncompressed log bytes deleted by retention.',
    registers: [this.registry],
  });

  readonly remoteOrphans = new Counter({
    name: 'baton_remote_orphans_total',
    help: 'Steps that lost workers left on nodes, by what the sweep did: ended, gone (had ended by itself), abandoned (node out of reach too long).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly sshConnectDuration = new Histogram({
    name: 'baton_ssh_connect_seconds',
    help: 'Time to connect and authenticate to a node over SSH, by outcome (ok, refused, auth, hostkey, timeout, error).',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly nodeOutcomes = new Counter({
    name: 'baton_node_executions_total',
    help: 'Per-node child executions of fan-out runs that finished, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly eventsReceived = new Counter({
    name: 'baton_events_received_total',
    // No hook label: /metrics is public, and a name (or an empty one for unknown hooks) would list
    // the hooks and tell a prober which of its guesses exist, undoing the uniform 401 of hooks.
    // Per hook, `baton events --hook` shows what arrived, to those who may view the project.
    help: 'Webhook requests to hooks, by outcome: accepted, unauthorized, too_large or invalid.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly ruleFirings = new Counter({
    name: 'baton_rule_firings_total',
    help: 'Rules that matched an event or a finished execution, by outcome: triggered, deduplicated, throttled, refused or error.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly scheduleFireLateness = new Histogram({
    name: 'baton_schedule_fire_lateness_seconds',
    help: 'Time from the moment a schedule was due to its execution being queued, for fires by this server.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly scheduleFires = new Counter({
    name: 'baton_schedule_fires_total',
    help: 'Due schedules handled by this server, by outcome: queued, skipped_misfire or refused.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly budgetGateDecisions = new Counter({
    name: 'baton_budget_gate_decisions_total',
    help: 'Change jobs the error-budget gate decided on, by decision: admit, approve, refuse, overridden or forbidden.',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });

  readonly sloRounds = new Counter({
    name: 'baton_slo_evaluation_rounds_total',
    help: 'SLO evaluation rounds this process ran (once per interval across all servers).',
    registers: [this.registry],
  });

  readonly notificationAttempts = new Counter({
    name: 'baton_notification_attempts_total',
    help: 'Notification delivery attempts by this server, by channel and outcome: delivered, retry or gave_up.',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly workerSlotsBusy = new Gauge({
    name: 'baton_worker_busy_slots',
    help: 'Executions this process is running now.',
    registers: [this.registry],
  });

  readonly stepContainment = new Gauge({
    name: 'baton_step_containment',
    help: "1 for how this process's workers contain a step: mode cgroup (every descendant is ended with it) or process_group (a process that double-forks and clears its environment can escape).",
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'baton_process_' });
  }

  /** Adds a gauge whose value is read when Prometheus scrapes (for example, executions by state). */
  gaugeFromCollector(
    name: string,
    help: string,
    labelNames: readonly string[],
    collect: () => Promise<{ labels: Record<string, string>; value: number }[]>,
  ): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const sample of await collect()) this.set(sample.labels, sample.value);
      },
    });
  }
}
