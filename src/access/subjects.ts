/**
 * Checks that the users, service accounts and teams a document names exist (or are applied in
 * the same apply), so a typo in a policy or team fails the apply instead of silently granting
 * nothing.
 */
import type { Db } from '../platform/db/database.js';
import type { FieldPath, SourceDocument } from '../platform/documents/source.js';
import type { KindPlan, PlanProblem } from '../platform/documents/apply.js';
import { didYouMean } from '../platform/suggest.js';
import { listTeamNames } from './teams/store.js';
import { listUserKinds } from './users/store.js';

/** A subject named in a document, with where it is. */
export interface NamedSubject {
  subject: string;
  document: SourceDocument;
  path: FieldPath;
}

/** What exists: every user/service account by kind, and every team (stored or planned). */
export interface KnownSubjects {
  users: ReadonlySet<string>;
  services: ReadonlySet<string>;
  teams: ReadonlySet<string>;
}

export async function knownSubjects(db: Db, plannedTeams: Iterable<string> = []): Promise<KnownSubjects> {
  const [users, teams] = await Promise.all([listUserKinds(db), listTeamNames(db)]);
  return {
    users: new Set(users.filter((user) => user.kind !== 'service').map((user) => user.name)),
    services: new Set(users.filter((user) => user.kind === 'service').map((user) => user.name)),
    teams: new Set([...teams, ...plannedTeams]),
  };
}

/**
 * The check of a document kind: problems for every subject its documents name that does not
 * exist, counting teams applied in the same apply as existing.
 */
export async function checkPlannedSubjects(
  db: Db,
  plan: Pick<KindPlan<unknown>, 'planned'>,
  subjects: readonly NamedSubject[],
): Promise<PlanProblem[]> {
  if (subjects.length === 0) return [];
  const known = await knownSubjects(
    db,
    plan.planned('Team').map((team) => team.name),
  );
  return checkSubjects(known, subjects);
}

/** Problems for every subject that names nobody; globs (`team/*`) are not checked. */
export function checkSubjects(known: KnownSubjects, subjects: readonly NamedSubject[]): PlanProblem[] {
  const problems: PlanProblem[] = [];
  for (const { subject, document, path } of subjects) {
    if (subject === '*' || subject.includes('*')) continue;
    const [kind, rest = ''] = subject.split('/', 2) as [string, string | undefined];
    const name = rest.replace(/#maintainers$/, '');
    const names = kind === 'team' ? known.teams : kind === 'serviceaccount' ? known.services : known.users;
    if (names.has(name)) continue;
    const noun = kind === 'team' ? 'team' : kind === 'serviceaccount' ? 'service account' : 'user';
    let hint = didYouMean(name, [...names]);
    // `user/ci-bot` for a service account (or the reverse) is a common slip; say so.
    if (!hint && kind === 'user' && known.services.has(name))
      hint = ` (did you mean serviceaccount/${name}?)`;
    if (!hint && kind === 'serviceaccount' && known.users.has(name)) hint = ` (did you mean user/${name}?)`;
    problems.push({
      document,
      path,
      message: `unknown ${noun} "${name}"${hint}`,
      expected: `an existing ${noun}`,
      found: subject,
    });
  }
  return problems;
}
