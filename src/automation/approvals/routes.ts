/** Approvals over HTTP: approve or reject an execution, and list what awaits the caller. */
import { z } from 'zod';
import { approvalsResponse, executionResponse } from '../../contract/executions.js';
import { viewExecution } from '../executions/routes.js';
import type { HttpApp } from '../../platform/http/app.js';
import { principalOf } from '../../platform/http/access.js';
import type { ApprovalService } from './service.js';
import { viewDecision, viewRequirement } from './views.js';
import { idParams } from '../../platform/http/params.js';

const comment = z.string().trim().max(2000, 'must be at most 2000 characters');

/** What the approval routes need from the server. */
export interface ApprovalRoutesDeps {
  approvals: Pick<ApprovalService, 'approve' | 'reject' | 'pending'>;
}

export function registerApprovalRoutes(app: HttpApp, baton: ApprovalRoutesDeps): void {
  app.post(
    '/api/v1/executions/:id/approve',
    {
      // Approvers are named by the job (team/NAME, user/NAME) as well as by policies, so the
      // service decides on the loaded execution.
      config: { access: 'authenticated' },
      schema: {
        description:
          'Approves an execution awaiting approval. The requester cannot approve their own; each person decides once. With enough approvals it is queued at once.',
        params: idParams,
        body: z.strictObject({ comment: comment.optional() }).default({}),
        response: { 200: executionResponse },
      },
    },
    async (request) => {
      const text = request.body.comment;
      const execution = await baton.approvals.approve(principalOf(request), request.params.id, text || null);
      return { execution: viewExecution(execution) };
    },
  );

  app.post(
    '/api/v1/executions/:id/reject',
    {
      config: { access: 'authenticated' },
      schema: {
        description:
          'Rejects an execution awaiting approval: it ends as `rejected` and never runs. A comment saying why is required.',
        params: idParams,
        body: z.strictObject({ comment: comment.min(1, 'is required: say why the execution is rejected') }),
        response: { 200: executionResponse },
      },
    },
    async (request) => {
      const execution = await baton.approvals.reject(
        principalOf(request),
        request.params.id,
        request.body.comment,
      );
      return { execution: viewExecution(execution) };
    },
  );

  app.get(
    '/api/v1/approvals',
    {
      config: { access: 'authenticated' },
      schema: {
        description: 'Executions awaiting approval that the caller may still decide on, oldest first.',
        response: { 200: approvalsResponse },
      },
    },
    async (request) => ({
      approvals: (await baton.approvals.pending(principalOf(request))).map((pending) => ({
        execution: viewExecution(pending.execution),
        required: viewRequirement(pending.requirement, pending.execution.approvalExpiresAt),
        decisions: pending.decisions.map(viewDecision),
      })),
    }),
  );
}
