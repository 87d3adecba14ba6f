/** Team documents in `baton apply`. */
import type { DocumentKind, PlanProblem } from '../../platform/documents/apply.js';
import { resources } from '../model.js';
import { listPolicies } from '../policies/store.js';
import { listProjectNamesOwnedBy } from '../projects/store.js';
import { checkSubjects, knownSubjects } from '../subjects.js';
import { teamDocument, type TeamDocument } from './model.js';
import { deleteTeam, getTeam, listTeamNames, saveTeam } from './store.js';

/** Teams are global: one namespace, so the scope is empty. */
const SCOPE = '';

export const teamKind: DocumentKind<TeamDocument> = {
  kind: 'Team',
  schema: teamDocument,
  identify: (document) => ({ scope: SCOPE, name: document.metadata.name }),
  resource: (_scope, name) => resources.team(name),
  load: async (db, _scope, name) => {
    const team = await getTeam(db, name);
    if (!team) return undefined;
    const document: TeamDocument = {
      apiVersion: 'baton/v1',
      kind: 'Team',
      metadata: { name: team.name, ...(team.description ? { description: team.description } : {}) },
      spec: {
        members: team.members.filter((member) => member.role === 'member').map((member) => member.name),
        maintainers: team.members
          .filter((member) => member.role === 'maintainer')
          .map((member) => member.name),
      },
    };
    return { digest: team.digest, document };
  },
  names: (db) => listTeamNames(db),
  check: async (db, plan) => {
    const known = await knownSubjects(db);
    const problems: PlanProblem[] = [];
    for (const { source, value } of plan.documents) {
      const named = (['members', 'maintainers'] as const).flatMap((field) =>
        value.spec[field].map((name, index) => {
          // Members may be people or service accounts; name whichever exists.
          const subject = known.services.has(name) ? `serviceaccount/${name}` : `user/${name}`;
          return { subject, document: source, path: ['spec', field, index] };
        }),
      );
      problems.push(...checkSubjects(known, named));
    }
    // A team still owning a project or named by a policy cannot be pruned away.
    const policies = await listPolicies(db);
    const keptPolicies = policies.filter(
      (policy) => !plan.planned('Policy').some((planned) => planned.name === policy.name),
    );
    for (const deletion of plan.deletions) {
      for (const policy of keptPolicies) {
        const named = policy.spec.rules.some((rule) =>
          rule.subjects.some((subject) => subject.replace(/#maintainers$/, '') === `team/${deletion.name}`),
        );
        if (named) {
          problems.push({ message: `cannot delete team ${deletion.name}: policy ${policy.name} names it` });
        }
      }
      const owned = await listProjectNamesOwnedBy(db, deletion.name);
      for (const project of owned) {
        problems.push({ message: `cannot delete team ${deletion.name}: it owns project ${project}` });
      }
    }
    return problems;
  },
  save: async (db, document, context) => {
    await saveTeam(db, {
      name: document.metadata.name,
      description: document.metadata.description ?? null,
      source: context.source,
      digest: context.digest,
      members: document.spec.members,
      maintainers: document.spec.maintainers,
      actor: context.actor,
      now: context.now,
    });
  },
  remove: (db, _scope, name) => deleteTeam(db, name),
};
