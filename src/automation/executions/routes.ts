/** Executions over HTTP: run a job, list, read, cancel. */
import { z } from 'zod';
import {
  executionDetailResponse,
  executionResponse,
  executionsResponse,
  runRequest,
  type ExecutionDetailView,
  type ExecutionView,
} from '../../contract/executions.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import { viewDecision, viewRequirement } from '../approvals/views.js';
import { parseTimeBound, timeBound } from '../../access/audit/model.js';
import { EXECUTION_STATES, type Execution } from './model.js';
import type { ExecutionDetail, ExecutionService } from './service.js';
import { idParams } from '../../platform/http/params.js';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The API form of an execution. */
export function viewExecution(execution: Execution): ExecutionView {
  return {
    id: execution.id,
    project: execution.project,
    job: execution.job,
    jobRevision: execution.jobRevision,
    state: execution.state,
    options: execution.options,
    requestedBy: execution.requestedBy,
    attempt: execution.attempt,
    retryOf: execution.retryOf,
    parentId: execution.parentId,
    queuedAt: execution.queuedAt.toISOString(),
    startedAt: iso(execution.startedAt),
    finishedAt: iso(execution.finishedAt),
    exitCode: execution.exitCode,
    reason: execution.reason,
    workerGroup: execution.workerGroup,
    cancelRequestedAt: iso(execution.cancelRequestedAt),
    log: execution.log,
    output: execution.output,
    outputError: execution.outputError,
    cause: execution.cause,
    node: execution.node,
    nodes: execution.nodes,
    admission: execution.admission ?? [],
  };
}

function viewDetail(detail: ExecutionDetail): ExecutionDetailView {
  return {
    ...viewExecution(detail),
    waitingFor: detail.waitingFor,
    approval: detail.approval && {
      required: viewRequirement(detail.approval.required, detail.approval.required.expiresAt),
      decisions: detail.approval.decisions.map(viewDecision),
    },
    steps: detail.steps.map((step) => ({
      ...step,
      startedAt: iso(step.startedAt),
      finishedAt: iso(step.finishedAt),
    })),
    nodeRuns: detail.nodeRuns.map((run) => ({
      ...run,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
    })),
    attempts: detail.attempts,
  };
}

/** `failed,timed_out`: each one a state; the path of a wrong one names it. */
const stateList = z
  .string()
  .transform((text) => text.split(',').map((state) => state.trim()))
  .pipe(z.array(z.enum(EXECUTION_STATES)).min(1));

/** What the execution routes use of a running Baton. */
export interface ExecutionRoutesDeps {
  executions: ExecutionService;
}

export function registerExecutionRoutes(app: HttpApp, baton: ExecutionRoutesDeps): void {
  app.post(
    '/api/v1/jobs/:project/:name/executions',
    {
      // The service answers a job the caller may not view like a missing one, and 403 when they
      // may view it but not run it.
      config: { access: 'authenticated' },
      schema: {
        description:
          'Queues an execution. Options are checked first; every violation is reported, per option. A change job the error-budget policy refuses answers 409 (code admission_refused) saying why and how to override; one it sends for approval is created awaiting_approval.',
        params: z.object({ project: z.string(), name: z.string() }),
        body: runRequest,
        response: { 201: executionResponse },
      },
    },
    async (request, reply) => {
      const { project, name } = request.params;
      const { options, nodes, overrideBudget, rerunOf } = request.body;
      const execution = await baton.executions.run(principalOf(request), project, name, options, {
        nodes,
        overrideBudget,
        trigger: rerunOf === undefined ? 'run' : 'rerun',
      });
      return reply.status(201).send({ execution: viewExecution(execution) });
    },
  );

  app.get(
    '/api/v1/executions',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Executions the caller may view, newest first. Page with `before` (the last id seen).',
        querystring: z.object({
          project: z.string().optional(),
          job: z.string().optional().describe('job name, or PROJECT/NAME'),
          state: z.enum(EXECUTION_STATES).optional(),
          states: stateList.optional().describe('any of these states, comma-separated'),
          user: z.string().min(1).optional().describe('who requested them'),
          since: timeBound.describe('queued at or after: an ISO time, or a duration meaning that long ago'),
          until: timeBound.describe('queued before: an ISO time, or a duration meaning that long ago'),
          before: z.coerce.number().int().positive().optional(),
          nodeRuns: z
            .enum(['true', 'false'])
            .optional()
            .describe(
              'true: also the per-node executions of runs on nodes (by default a run on nodes is listed once, as its parent)',
            ),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: { 200: executionsResponse },
      },
    },
    async (request) => {
      const { project, job, state, states, user, since, until, before, nodeRuns, limit } = request.query;
      const [jobProject, jobName] = job?.includes('/') ? job.split('/', 2) : [project, job];
      const now = Date.now();
      const { executions, next } = await baton.executions.list(principalOf(request), {
        project: jobProject,
        job: jobName,
        states: [...(state ? [state] : []), ...(states ?? [])],
        requestedBy: user,
        queuedSince: parseTimeBound(since, 'querystring.since', now),
        queuedUntil: parseTimeBound(until, 'querystring.until', now),
        beforeId: before,
        nodeRuns: nodeRuns === 'true',
        limit,
      });
      return { executions: executions.map(viewExecution), next };
    },
  );

  app.get(
    '/api/v1/executions/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'One execution with its steps and all attempts of its retry chain.',
        params: idParams,
        response: { 200: executionDetailResponse },
      },
    },
    async (request) => ({
      execution: viewDetail(await baton.executions.detail(principalOf(request), request.params.id)),
    }),
  );

  app.post(
    '/api/v1/executions/:id/cancel',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Cancels a queued execution, or ends a running one with its whole process tree.',
        params: idParams,
        response: { 200: executionResponse },
      },
    },
    async (request) => ({
      execution: viewExecution(await baton.executions.cancel(principalOf(request), request.params.id)),
    }),
  );
}
