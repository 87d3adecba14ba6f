/**
 * ErrorBudgetPolicy documents in `baton apply`. Each service it names must be in the catalog
 * (or applied with it), and no service may be covered by two policies: a policy naming it
 * decides alone, a `'*'` policy covers the rest, and there is at most one `'*'` policy. Checked
 * against the stored policies and the ones applied together, so the answer never depends on order.
 *
 * Selectors are checked once per apply over both kinds (`selectorCoverageCheck`): a Service
 * applied later whose labels two selectors match is refused just like the second policy would be.
 *
 * Applying one needs `edit` on `errorbudgetpolicy/NAME` (admins, or a policy granting it) and
 * `edit` on each service it names (the owning team has it); a `'*'` policy needs `admin` on system.
 */
import { resources } from '../../access/model.js';
import type {
  ApplyPlan,
  ApplyService,
  DocumentKind,
  PlanCheck,
  PlanProblem,
} from '../../platform/documents/apply.js';
import type { SourceDocument } from '../../platform/documents/source.js';
import type { Db } from '../../platform/db/database.js';
import { didYouMean } from '../../platform/suggest.js';
import { serviceKind } from '../services/kind.js';
import type { ServiceDocument } from '../services/model.js';
import { listServiceNames, listServices } from '../services/store.js';
import {
  errorBudgetPolicyDocument,
  selectorMatches,
  type ErrorBudgetPolicyDocument,
  type ServiceSelector,
} from './document.js';
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
      // A selector covers whatever services carry its labels, now or later: like '*', an admin's call.
      document.spec.selector
        ? [{ action: 'admin' as const, resource: resources.system, path: ['spec', 'selector'] }]
        : (document.spec.services ?? []).map((service, index) =>
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
      (value.spec.services ?? []).forEach((service, index) => {
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
      for (const service of stored.spec.services ?? []) coveredBy.set(service, stored.name);
    }
    for (const { source, value } of plan.documents) {
      (value.spec.services ?? []).forEach((service, index) => {
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

/** A selector policy once the apply is done, and the document it came from when it is applied now. */
interface SelectorPolicy {
  name: string;
  selector: ServiceSelector;
  source?: SourceDocument;
}

/** A service once the apply is done, with its labels, and its document when it is applied now. */
interface LabelledService {
  name: string;
  labels: Readonly<Record<string, string>>;
  source?: SourceDocument;
}

/**
 * No service may be matched by two selector policies: which one decides would depend on order.
 * Runs when policies or Services are applied or pruned, over what is stored and what is planned,
 * so the refusal does not depend on which of the two documents came last.
 */
export const selectorCoverageCheck: PlanCheck = {
  kinds: [errorBudgetPolicyKind, serviceKind],
  check: async (db, plan) => {
    const selectors = await selectorPolicies(db, plan);
    if (selectors.length < 2) return { problems: [], warnings: [] };
    const problems: PlanProblem[] = [];
    for (const service of await servicesAfter(db, plan)) {
      const matching = selectors.filter((policy) => selectorMatches(policy.selector, service.labels));
      if (matching.length < 2) continue;
      const [first, second] = matching as [SelectorPolicy, SelectorPolicy];
      const message =
        `service ${service.name} is matched by the selectors of error budget policies ${first.name} and ` +
        `${second.name}; a service has one policy (name it in one policy's spec.services, or change the labels)`;
      // Point at what this apply changes: a planned policy's selector, else the Service's labels.
      const planned = matching.find((policy) => policy.source !== undefined);
      if (planned) problems.push({ document: planned.source, path: ['spec', 'selector'], message });
      else if (service.source)
        problems.push({ document: service.source, path: ['metadata', 'labels'], message });
      else problems.push({ message });
    }
    return { problems, warnings: [] };
  },
};

async function selectorPolicies(db: Db, plan: ApplyPlan): Promise<SelectorPolicy[]> {
  const own = plan.of(errorBudgetPolicyKind);
  const replaced = new Set([
    ...(own?.documents ?? []).map((document) => document.name),
    ...(own?.deletions ?? []).map((gone) => gone.name),
  ]);
  const policies: SelectorPolicy[] = [];
  for (const stored of await listBudgetPolicies(db)) {
    if (!replaced.has(stored.name) && stored.spec.selector)
      policies.push({ name: stored.name, selector: stored.spec.selector });
  }
  for (const { source, value } of own?.documents ?? []) {
    if (value.spec.selector)
      policies.push({ name: value.metadata.name, selector: value.spec.selector, source });
  }
  return policies;
}

async function servicesAfter(db: Db, plan: ApplyPlan): Promise<LabelledService[]> {
  const own = plan.of(serviceKind);
  const replaced = new Set([
    ...(own?.documents ?? []).map((document) => document.name),
    ...(own?.deletions ?? []).map((gone) => gone.name),
  ]);
  const services: LabelledService[] = (await listServices(db))
    .filter((service) => !replaced.has(service.name))
    .map((service) => ({ name: service.name, labels: service.labels }));
  for (const { source, value } of own?.documents ?? []) {
    const document: ServiceDocument = value;
    services.push({ name: document.metadata.name, labels: document.metadata.labels ?? {}, source });
  }
  return services;
}

/** Makes ErrorBudgetPolicy appliable, with the selector check that also runs when Services change. */
export function registerBudgetPolicies(apply: ApplyService): void {
  apply.register(errorBudgetPolicyKind);
  apply.registerCheck(selectorCoverageCheck);
}
