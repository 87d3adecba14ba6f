/**
 * The composition root: opens the database, builds the services of each capability, mounts
 * their routes, and starts the embedded worker. Everything a running Baton is made of is
 * wired here and nowhere else.
 */
import path from 'node:path';
import { registerAccessRoutes } from './access/routes.js';
import { registerSignInRoutes } from './access/sign-in/routes.js';
import { registerUserRoutes } from './access/users/routes.js';
import { registerAuditRoutes } from './access/audit/routes.js';
import { registerTokenRoutes } from './access/tokens/routes.js';
import { registerApprovalRoutes } from './automation/approvals/routes.js';
import { ApprovalService } from './automation/approvals/service.js';
import { registerExecutionRoutes } from './automation/executions/routes.js';
import { ExecutionService } from './automation/executions/service.js';
import { registerSecretRoutes } from './access/secrets/routes.js';
import { SecretService } from './access/secrets/service.js';
import { countByState } from './automation/executions/store.js';
import { jobKind } from './automation/jobs/kind.js';
import { registerJobRoutes } from './automation/jobs/routes.js';
import { registerLogRoutes } from './automation/logs/routes.js';
import { scheduleKind } from './automation/schedules/kind.js';
import { registerScheduleRoutes } from './automation/schedules/routes.js';
import { Scheduler } from './automation/schedules/scheduler.js';
import type { Worker } from './automation/worker/worker.js';
import { registerWorkerRoutes } from './automation/worker/routes.js';
import { projectKind } from './automation/projects/kind.js';
import { createWorker, openRuntime, processName, type Runtime } from './runtime.js';
import { appendAudit, auditActor } from './access/audit/trail.js';
import { AccessControl } from './access/authorize.js';
import { policyKind } from './access/policies/kind.js';
import { registerPolicyRoutes } from './access/policies/routes.js';
import { registerTeamRoutes } from './access/teams/routes.js';
import { registerServiceRoutes } from './reliability/services/routes.js';
import { registerSloRoutes } from './reliability/slos/routes.js';
import { registerUsageRoutes } from './insights/usage/routes.js';
import { NotificationDispatcher } from './automation/notifications/dispatcher.js';
import { registerNotificationRoutes } from './automation/notifications/routes.js';
import { ChainLoop } from './automation/events/chain.js';
import { hookKind, ruleKind } from './automation/events/kind.js';
import { registerEventRoutes } from './automation/events/routes.js';
import { EventService } from './automation/events/service.js';
import { teamKind } from './access/teams/kind.js';
import { serviceKind } from './reliability/services/kind.js';
import { registerBudgetPolicies } from './reliability/budgets/kind.js';
import { BudgetGate, overridePermission } from './reliability/budgets/gate.js';
import { registerBudgetRoutes } from './reliability/budgets/routes.js';
import { registerSloDocuments } from './reliability/slos/kind.js';
import { openSecret } from './automation/secrets/delivery.js';
import { listServiceNames } from './reliability/services/store.js';
import { createSloEvaluation, type SloEvaluationDuty } from './reliability/slos/evaluation.js';
import { registerMeasureRoutes } from './reliability/slos/measure-routes.js';
import { registerSloMetrics } from './reliability/slos/metrics.js';
import { SloAlerts } from './reliability/slos/alerts.js';
import { nodeKind, nodeSourceKind } from './automation/nodes/kind.js';
import { registerNodeRoutes } from './automation/nodes/routes.js';
import { NodeSourceRefresher } from './automation/nodes/sources.js';
import type { Config } from './platform/config.js';
import { ApplyService, type ApplyResult } from './platform/documents/apply.js';
import { registerApplyRoutes } from './platform/documents/routes.js';
import { createHttpApp, type HttpApp } from './platform/http/app.js';
import { authenticateRequests } from './access/http.js';
import { registerSystemRoutes } from './platform/http/system-routes.js';
import { registerWebUi } from './platform/http/web-ui.js';
import { silentLogger, type Logger } from './platform/logging.js';
import { PACKAGE_ROOT, VERSION } from './platform/version.js';

/** A running Baton server: its services, its HTTP app (not yet listening) and its worker. */
export interface Baton extends Runtime {
  name: string;
  access: AccessControl;
  apply: ApplyService;
  executions: ExecutionService;
  approvals: ApprovalService;
  secrets: SecretService;
  http: HttpApp;
  worker: Worker | undefined;
  /** Fires due schedules; every server runs one (standalone workers do not). */
  scheduler: Scheduler;
  /** Sends notification deliveries; every server runs one (standalone workers do not). */
  notifications: NotificationDispatcher;
  /** Receives hook events and fires rules. */
  eventService: EventService;
  /** Fires rules on finished executions; every server runs one (standalone workers do not). */
  chain: ChainLoop;
  /** Refreshes due node sources; every server runs one (standalone workers do not). */
  nodeSources: NodeSourceRefresher;
  /** Evaluates SLOs once per interval across servers (standalone workers do not). */
  sloEvaluation: SloEvaluationDuty;
  /** Stops accepting requests, drains the embedded worker (up to `drainMs`), closes the database. */
  close(drainMs?: number): Promise<void>;
}

/** Opens the database (migrating it) and builds every service; starts the embedded worker if configured. */
export async function createBaton(config: Config, logger: Logger = silentLogger): Promise<Baton> {
  const name = processName('server');
  const runtime = await openRuntime(config, logger, name);
  const { db, metrics, events } = runtime;
  const access = new AccessControl(db, events, logger);
  await access.refresh();
  const apply = new ApplyService(
    db,
    (principal, action, resource) => access.require(principal, action, resource),
    {
      recordChanges: async (trx, actor, changes) => {
        await appendAudit(trx, {
          ...auditActor(actor),
          action: 'apply',
          target: changes.length === 1 ? changeTarget(changes[0]!) : `${changes.length} documents`,
          summary: { changes: changes.map((change) => `${changeTarget(change)} ${change.action}`) },
        });
      },
      committed: async (results) => {
        // Schedules (and jobs, which may define them) change when schedulers should wake.
        if (results.some((result) => result.kind === 'Schedule' || result.kind === 'Job')) {
          events.publish('schedules');
        }
        // Teams, policies, owners and job labels all feed authorization decisions.
        await access.changed();
      },
    },
  );
  apply.register(teamKind);
  apply.register(projectKind);
  apply.register(serviceKind);
  apply.register(policyKind);
  // Jobs check `spec.service` against the catalog, which sits a floor above them.
  apply.register(jobKind({ serviceNames: listServiceNames }));
  apply.register(scheduleKind);
  apply.register(hookKind);
  apply.register(ruleKind);
  apply.register(nodeKind);
  apply.register(nodeSourceKind);
  registerBudgetPolicies(apply);
  // SLO documents (baton/v1, OpenSLO, Sloth); a DataSource's bearer token checks its queries at
  // apply, and queries that name no Prometheus are checked at BATON_PROMETHEUS_URL.
  registerSloDocuments(apply, {
    openSecret: (db, path) => openSecret(db, runtime.keyring, path),
    ...(config.prometheusUrl ? { defaultPrometheusUrl: config.prometheusUrl } : {}),
  });
  // Every way an execution is created meets the error-budget gate (see executions/admission.ts).
  runtime.admission.register(new BudgetGate({ mayOverride: overridePermission(access), metrics }));
  const executions = new ExecutionService(db, events, access, runtime.keyring, runtime.admission);
  const approvals = new ApprovalService(db, events, access);
  const eventService = new EventService({
    db,
    access,
    executions,
    keyring: runtime.keyring,
    metrics,
    logger,
  });
  const chain = new ChainLoop({ db, events, service: eventService, logger });
  const secrets = new SecretService(db, access, runtime.keyring);
  const scheduler = new Scheduler({
    db,
    caps: runtime.caps,
    events,
    access,
    metrics,
    logger,
    gates: runtime.admission,
  });
  const nodeSources = new NodeSourceRefresher({ db, keyring: runtime.keyring, logger });
  const notifications = new NotificationDispatcher({
    db,
    keyring: runtime.keyring,
    events,
    logger,
    metrics,
    owner: name,
    publicUrl: config.publicUrl,
    ...config.notifications,
  });

  metrics.gaugeFromCollector(
    'baton_executions',
    'Executions in the database, by state.',
    ['state'],
    async () =>
      Object.entries(await countByState(db)).map(([state, value]) => ({ labels: { state }, value })),
  );

  registerSloMetrics(metrics, db);
  const sloEvaluation = createSloEvaluation({
    db,
    metrics,
    logger,
    // Burn alerts become Baton events that rules match (and, through them, notifications).
    alerts: new SloAlerts({
      db,
      events: eventService,
      project: config.sloAlertProject,
      publicUrl: config.publicUrl,
    }),
    readSecret: (path) => openSecret(db, runtime.keyring, path),
    ...(config.prometheusUrl ? { defaultPrometheusUrl: config.prometheusUrl } : {}),
    owner: name,
    intervalMs: config.sloIntervalMs || undefined,
  });

  const http = await createHttpApp({
    authenticate: (app) => authenticateRequests(app, db, access),
    logger,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    version: VERSION,
  });
  const baton: Baton = {
    ...runtime,
    name,
    access,
    apply,
    executions,
    approvals,
    secrets,
    http,
    worker: undefined,
    scheduler,
    notifications,
    eventService,
    chain,
    nodeSources,
    sloEvaluation,
    close: async (drainMs = 0) => {
      await http.close();
      await sloEvaluation.stop();
      await scheduler.stop();
      await nodeSources.stop();
      await chain.stop();
      await baton.worker?.stop(drainMs);
      await notifications.stop();
      await runtime.duties.stop();
      access.close();
      await runtime.database.close();
    },
  };
  registerSystemRoutes(http, baton);
  registerAccessRoutes(http);
  registerPolicyRoutes(http, baton);
  registerTeamRoutes(http, baton);
  registerServiceRoutes(http, baton);
  registerSloRoutes(http, baton);
  registerUserRoutes(http, baton);
  registerSignInRoutes(http, baton);
  registerTokenRoutes(http, baton);
  registerAuditRoutes(http, baton);
  registerApplyRoutes(http, baton);
  registerJobRoutes(http, baton);
  registerExecutionRoutes(http, baton);
  registerApprovalRoutes(http, baton);
  registerLogRoutes(http, baton);
  registerWorkerRoutes(http, baton);
  registerSecretRoutes(http, baton);
  registerUsageRoutes(http, baton);
  registerScheduleRoutes(http, baton);
  registerNotificationRoutes(http, baton);
  registerNodeRoutes(http, baton);
  registerEventRoutes(http, baton);
  registerBudgetRoutes(http, baton);
  registerMeasureRoutes(http, baton);
  await registerWebUi(http, path.join(PACKAGE_ROOT, 'dist', 'web'));
  await http.ready();
  scheduler.start();
  notifications.start();
  nodeSources.start();
  chain.start();
  if (config.sloIntervalMs > 0) sloEvaluation.start();

  if (config.embeddedWorker) {
    baton.worker = createWorker(runtime, {
      name: name.replace(/^server-/, 'embedded-'),
      concurrency: config.workerConcurrency,
      embedded: true,
    });
    await baton.worker.start();
  }
  return baton;
}

/** `team/payments`, `job/ops/restart-web`, `openslo/v1 sli/latency`: an applied document as an audit target. */
function changeTarget(change: ApplyResult): string {
  const name = change.scope && change.scope !== change.name ? `${change.scope}/${change.name}` : change.name;
  return `${change.apiVersion ? `${change.apiVersion} ` : ''}${change.kind.toLowerCase()}/${name}`;
}
