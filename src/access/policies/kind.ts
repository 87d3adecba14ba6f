/** Policy documents in `baton apply`: every subject they name must exist. */
import type { DocumentKind } from '../../platform/documents/apply.js';
import { resources } from '../model.js';
import { checkPlannedSubjects } from '../subjects.js';
import { policyDocument, type PolicyDocument } from './model.js';
import { deletePolicy, getPolicy, listPolicyNames, savePolicy } from './store.js';

export const policyKind: DocumentKind<PolicyDocument> = {
  kind: 'Policy',
  schema: policyDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: (_scope, name) => resources.policy(name),
  load: async (db, _scope, name) => {
    const policy = await getPolicy(db, name);
    if (!policy) return undefined;
    const document: PolicyDocument = {
      apiVersion: 'baton/v1',
      kind: 'Policy',
      metadata: { name: policy.name, ...(policy.description ? { description: policy.description } : {}) },
      spec: policy.spec,
    };
    return { digest: policy.digest, document };
  },
  names: (db) => listPolicyNames(db),
  check: (db, plan) =>
    checkPlannedSubjects(
      db,
      plan,
      plan.documents.flatMap(({ source, value }) =>
        value.spec.rules.flatMap((rule, ruleIndex) =>
          rule.subjects.map((subject, index) => ({
            subject,
            document: source,
            path: ['spec', 'rules', ruleIndex, 'subjects', index],
          })),
        ),
      ),
    ),
  save: (db, document, context) =>
    savePolicy(db, {
      document,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    }),
  remove: (db, _scope, name) => deletePolicy(db, name),
};
