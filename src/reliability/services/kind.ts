/** Service documents in `baton apply`: the owner must be a team that exists. */
import { resources } from '../../access/model.js';
import { checkPlannedSubjects } from '../../access/subjects.js';
import { findJobActingOn } from '../../automation/jobs/store.js';
import type { DocumentKind } from '../../platform/documents/apply.js';
import { serviceDocument, type ServiceDocument } from './model.js';
import { deleteService, getService, listServices, saveService } from './store.js';

export const serviceKind: DocumentKind<ServiceDocument> = {
  kind: 'Service',
  schema: serviceDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: (_scope, name) => resources.service(name),
  load: async (db, _scope, name) => {
    const service = await getService(db, name);
    if (!service) return undefined;
    const document: ServiceDocument = {
      apiVersion: 'baton/v1',
      kind: 'Service',
      metadata: {
        name: service.name,
        ...(service.description ? { description: service.description } : {}),
        ...(service.hasLabels ? { labels: service.labels } : {}),
      },
      spec: { owner: service.owner, lifecycle: service.lifecycle, links: service.links },
    };
    return { digest: service.digest, document };
  },
  names: async (db) => (await listServices(db)).map((service) => service.name),
  check: async (db, plan) => {
    const problems = await checkPlannedSubjects(
      db,
      plan,
      plan.documents.map(({ source, value }) => ({
        subject: `team/${value.spec.owner}`,
        document: source,
        path: ['spec', 'owner'],
      })),
    );
    // Jobs that act on a service keep it in the catalog.
    for (const deletion of plan.deletions) {
      const job = await findJobActingOn(db, deletion.name);
      if (job) {
        problems.push({
          message: `cannot delete service ${deletion.name}: job ${job.project}/${job.name} acts on it`,
        });
      }
    }
    return problems;
  },
  save: (db, document, context) =>
    saveService(db, {
      document,
      source: context.source,
      digest: context.digest,
      actor: context.actor,
      now: context.now,
    }),
  remove: (db, _scope, name) => deleteService(db, name),
};
