/**
 * `kind: Project` documents: a project's owning team, its description and how long its
 * executions are kept. Projects also come into being implicitly when a job names them.
 *
 * The owning team's members may view, run, read logs of, edit and approve everything in the
 * project without a policy; its maintainers may also administer it. Changing the owner needs
 * `admin` on the project, so an editor cannot hand the project to their own team.
 *
 * The document lives in automation because most of it is about executions (retention,
 * notifications); the projects table and who owns a project stay with access (access/projects/).
 */
import { z } from 'zod';
import { parseDuration, formatDurationAsWritten } from '../../contract/time.js';
import { digestOf, type DocumentKind } from '../../platform/documents/apply.js';
import { durationUpTo, resourceName } from '../../platform/documents/fields.js';
import { resources } from '../../access/model.js';
import { checkPlannedSubjects } from '../../access/subjects.js';
import { readJson } from '../../platform/db/capabilities.js';
import { notificationSecrets, notificationsSpec, type NotificationSpec } from '../notifications/model.js';
import { existingSecretPaths } from '../../access/secrets/store.js';
import { findProject, upsertProject } from '../../access/projects/store.js';

export const projectDocument = z.strictObject({
  apiVersion: z.literal('baton/v1'),
  kind: z.literal('Project'),
  metadata: z.strictObject({ name: resourceName, description: z.string().optional() }),
  spec: z
    .strictObject({
      /** The team that owns the project. */
      owner: resourceName.optional(),
      /** Executions and logs of this project are deleted this long after they finish. */
      // Ten years: record-keeping rules ask for up to that; a longer number is a typo.
      retention: durationUpTo('3650d').optional(),
      /** Notifications sent for executions of every job in the project. */
      notifications: notificationsSpec.optional(),
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
    const project = await findProject(db, name);
    if (!project) return undefined;
    const document: ProjectDocument = {
      apiVersion: 'baton/v1',
      kind: 'Project',
      metadata: { name: project.name, ...(project.description ? { description: project.description } : {}) },
      spec: {
        ...(project.ownerTeam === null ? {} : { owner: project.ownerTeam }),
        ...(project.retentionMs === null ? {} : { retention: formatDurationAsWritten(project.retentionMs) }),
        ...(project.notifications === null
          ? {}
          : { notifications: readJson<NotificationSpec[]>(project.notifications) }),
      },
    };
    return { digest: digestOf(document), document };
  },
  check: async (db, plan) => {
    const subjectProblems = await checkPlannedSubjects(
      db,
      plan,
      plan.documents.flatMap(({ source, value }) =>
        value.spec.owner === undefined
          ? []
          : [{ subject: `team/${value.spec.owner}`, document: source, path: ['spec', 'owner'] }],
      ),
    );
    // Every secret a notification names must exist, like the secrets of jobs.
    const named = plan.documents.flatMap(({ source, value }) =>
      notificationSecrets(value.spec.notifications, ['spec', 'notifications']).map((secret) => ({
        ...secret,
        source,
      })),
    );
    const existing = await existingSecretPaths(db, [...new Set(named.map((secret) => secret.path))]);
    return [
      ...subjectProblems,
      ...named
        .filter((secret) => !existing.has(secret.path))
        .map((secret) => ({
          document: secret.source,
          path: secret.field,
          message: `unknown secret "${secret.path}"`,
          expected: 'a secret that exists (baton secrets set PATH)',
        })),
    ];
  },
  requires: async (_db, document, stored) => {
    // Naming a secret in a notification needs `run` on it, as in a job: `edit` on a project
    // must not be a way to send a secret's value to a receiver of one's choosing.
    const secrets = notificationSecrets(document.spec.notifications, ['spec', 'notifications']).map(
      ({ path, field }) => ({ action: 'run' as const, resource: resources.secret(path), path: field }),
    );
    const before = (stored as ProjectDocument | undefined)?.spec.owner;
    if (before === document.spec.owner) return secrets;
    return [
      ...secrets,
      { action: 'admin', resource: resources.project(document.metadata.name), path: ['spec', 'owner'] },
    ];
  },
  // Projects are never pruned: jobs and the history of executions hang off them.
  names: async () => [],
  save: async (db, document, context) => {
    await upsertProject(
      db,
      {
        name: document.metadata.name,
        ownerTeam: document.spec.owner ?? null,
        description: document.metadata.description ?? null,
        retentionMs: document.spec.retention ? parseDuration(document.spec.retention)! : null,
        notifications:
          document.spec.notifications === undefined ? null : JSON.stringify(document.spec.notifications),
      },
      context.now,
    );
  },
  remove: async () => {
    throw new Error('projects are not removed by apply');
  },
};
