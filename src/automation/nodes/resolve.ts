/**
 * Which nodes a run goes to, decided when it is requested (by `baton run`, a schedule's fire or
 * a rule): the job's `spec.nodes` or the request's filter, matched against the nodes known now,
 * and the requester's `run` permission on every one of them.
 */
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import type { Db } from '../../platform/db/database.js';
import { ForbiddenError, InputError } from '../../platform/errors.js';
import type { JobSpec } from '../jobs/model.js';
import { formatNodeFilter, nodeMatches, parseNodeFilter } from './filter.js';
import { nodeFilter, type NodeFilter } from './model.js';
import { listNodes } from './store.js';

/** A run request's node filter: the run-time string, or the structured form of `spec.nodes`. */
export type NodeOverride = string | NodeFilter;

export interface ResolvedNodes {
  /** The job spec as the execution records it: `nodes` is the filter actually used. */
  spec: JobSpec;
  /** The matched node names, snapshotted on the execution. */
  names: string[];
}

function parseOverride(override: NodeOverride): NodeFilter {
  if (typeof override === 'string') return parseNodeFilter(override);
  const parsed = nodeFilter.safeParse(override);
  if (parsed.success) return parsed.data;
  throw new InputError(
    'invalid node filter',
    parsed.error.issues.map((issue) => ({
      path: ['nodes', ...issue.path].join('.'),
      message: issue.message,
    })),
  );
}

/**
 * Resolves the nodes of a run, or undefined when it runs on the worker. Throws InputError when
 * the filter is invalid or matches nothing, ForbiddenError naming every node the requester may
 * not run on (the set is never silently shrunk).
 */
export async function resolveNodes(
  db: Db,
  access: AccessControl,
  principal: Principal,
  spec: JobSpec,
  override?: NodeOverride,
): Promise<ResolvedNodes | undefined> {
  if (override === undefined && spec.nodes === undefined) return undefined;
  let filter: NodeFilter;
  if (override === undefined) {
    filter = spec.nodes!;
  } else {
    if (spec.steps.some((step) => step.job !== undefined)) {
      throw new InputError('this job has job: steps, so it cannot run on nodes', [
        { path: 'nodes', message: 'a job with job: steps runs on the worker only' },
      ]);
    }
    const given = parseOverride(override);
    // The request picks the nodes; how to run on them stays the job's unless it says otherwise.
    filter = {
      ...given,
      parallelism: given.parallelism ?? spec.nodes?.parallelism,
      keepGoing: given.keepGoing ?? spec.nodes?.keepGoing,
    };
    if (filter.parallelism === undefined) delete filter.parallelism;
    if (filter.keepGoing === undefined) delete filter.keepGoing;
  }
  const known = await listNodes(db);
  const matched = known.filter((node) => nodeMatches(filter, node));
  if (matched.length === 0) {
    const message = `no node matches ${formatNodeFilter(filter)} (${known.length} node${known.length === 1 ? '' : 's'} known)`;
    throw new InputError(message, [{ path: 'nodes', message }]);
  }
  const refused = matched.filter(
    (node) => !access.authorize(principal, 'run', resources.node(node.name)).allowed,
  );
  if (refused.length > 0) {
    const names = refused.map((node) => node.name);
    throw new ForbiddenError(
      `forbidden: ${principal.name} may not run on node${names.length === 1 ? '' : 's'} ${names.join(', ')} ` +
        `(matched by ${formatNodeFilter(filter)}); nothing was queued`,
    );
  }
  return { spec: { ...spec, nodes: filter }, names: matched.map((node) => node.name) };
}
