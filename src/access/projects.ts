/**
 * `kind: Project` documents: a project's description and how long its executions are kept.
 * Projects also come into being implicitly when a job names them.
 */
import { z } from 'zod';
import { parseDuration, formatDuration } from '../platform/duration.js';
import { digestOf, type DocumentKind } from '../platform/documents/apply.js';
import { duration, resourceName } from '../automation/jobs/model.js';
import { resources } from './model.js';

export const projectDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Project'),
  metadata: z.strictObject({ name: resourceName, description: z.string().optional() }),
  spec: z
    .strictObject({
      /** Executions and logs of this project are deleted this long after they finish. */
      retention: duration.optional(),
    })
    .default({}),
});
export type ProjectDocument = z.output<typeof projectDocument>;

export const projectKind: DocumentKind<ProjectDocument> = {
  kind: 'Project',
  schema: projectDocument,
  identify: (document) => ({ scope: document.metadata.name, name: document.metadata.name }),
  resource: (name) => resources.project(name),
  load: async (db, name) => {
    const row = await db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) return undefined;
    const document: ProjectDocument = {
      apiVersion: 'baton/v1',
      kind: 'Project',
      metadata: { name: row.name, ...(row.description ? { description: row.description } : {}) },
      spec: row.retention_ms === null ? {} : { retention: formatDuration(row.retention_ms) },
    };
    return { digest: digestOf(document), document };
  },
  // Projects are never pruned: jobs and the history of executions hang off them.
  names: async () => [],
  save: async (db, document, context) => {
    const values = {
      description: document.metadata.description ?? null,
      retention_ms: document.spec.retention ? parseDuration(document.spec.retention)! : null,
    };
    await db
      .insertInto('projects')
      .values({ name: document.metadata.name, created_at: context.now, ...values })
      .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
      .execute();
  },
  remove: async () => {
    throw new Error('projects are not removed by apply');
  },
};
