/**
 * ErrorBudgetPolicy documents in `baton apply`. Each service it names must be in the catalog
 * (or applied with it), and no service may be covered by two policies: a policy naming it
 * decides alone, a `'*'` policy covers the rest, and there is at most one `'*'` policy. Checked
 * against the stored policies and the ones applied together, so the answer never depends on order.
 *
 * Applying one needs `edit` on `errorbudgetpolicy/NAME` (admins, or a policy granting it) and
 * `edit` on each service it names (the owning team has it); a `'*'` policy needs `admin` on system.
 */
import { resources } from '../../access/model.js';
import type { DocumentKind, PlanProblem } from '../../platform/documents/apply.js';
import { didYouMean } from '../../platform/suggest.js';
import { listServiceNames } from '../services/store.js';
import { errorBudgetPolicyDocument, type ErrorBudgetPolicyDocument } from './document.js';
import { deleteBudgetPolicy, getBudgetPolicy, listBudgetPolicies, saveBudgetPolicy } from './store.js';

export const errorBudgetPolicyKind: DocumentKind<ErrorBudgetPolicyDocument> = {
  kind: 'ErrorBudgetPolicy',
  schema: errorBudgetPolicyDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: (_scope, name) => resources.errorBudgetPolicy(name),
  load: async (db, _scope, name) => {
    const policy = await getBudgetPolicy(db, name);
    if (!policy) return undefined;
    const document: ErrorBudgetPolicyDocument = {
      apiVersion: 'baton/v1',
      kind: 'ErrorBudgetPolicy',
      metadata: { name: policy.name },
      spec: policy.spec,
    };
    return { digest: policy.digest, document };
  },
  names: async (db) => (await listBudgetPolicies(db)).map((policy) => policy.name),
  requires: (_db, document) =>
    Promise.resolve(
      document.spec.services.map((service, index) =>
        service === '*'
          ? { action: 'admin' as const, resource: resources.system, path: ['spec', 'services', index] }
          : {
              action: 'edit' as const,
              resource: resources.service(service),
              path: ['spec', 'services', index],
            },
      ),
    ),
  check: async (db, plan) => {
    const problems: PlanProblem[] = [];
    const known = new Set([
      ...(await listServiceNames(db)),
      ...plan.planned('Service').map((service) => service.name),
    ]);
    for (const { source, value } of plan.documents) {
      value.spec.services.forEach((service, index) => {
        if (service !== '*' && !known.has(service)) {
          problems.push({
            document: source,
            path: ['spec', 'services', index],
            message: `unknown service "${service}"${didYouMean(service, known)}`,
            expected: "a service in the catalog (kind: Service), or '*'",
          });
        }
      });
    }
    // Who covers what once the apply is done: stored policies not replaced or pruned, then the new ones.
    const replaced = new Set([
      ...plan.documents.map((document) => document.name),
      ...plan.deletions.map((gone) => gone.name),
    ]);
    const coveredBy = new Map<string, string>();
    for (const stored of await listBudgetPolicies(db)) {
      if (replaced.has(stored.name)) continue;
      for (const service of stored.spec.services) coveredBy.set(service, stored.name);
    }
    for (const { source, value } of plan.documents) {
      value.spec.services.forEach((service, index) => {
        const other = coveredBy.get(service);
        if (other !== undefined && other !== value.metadata.name) {
          problems.push({
            document: source,
            path: ['spec', 'services', index],
            message:
              service === '*'
                ? `error budget policy ${other} already covers '*' (every service no policy names); only one policy may`
                : `service ${service} is already covered by error budget policy ${other}; a service has one policy`,
          });
        } else {
          coveredBy.set(service, value.metadata.name);
        }
      });
    }
    return problems;
  },
  save: (db, document, context) =>
    saveBudgetPolicy(db, {
      name: document.metadata.name,
      spec: document.spec,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    }),
  remove: (db, _scope, name) => deleteBudgetPolicy(db, name),
};
