/** SQL for teams and their members. */
import type { Db } from '../../platform/db/database.js';

export interface StoredTeam {
  name: string;
  description: string | null;
  source: string;
  digest: string;
  /** Members from the Team document, with their role. */
  members: { name: string; role: 'member' | 'maintainer' }[];
}

export async function getTeam(db: Db, name: string): Promise<StoredTeam | undefined> {
  const row = await db.selectFrom('teams').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) return undefined;
  const members = await db
    .selectFrom('team_members')
    .select(['user_name', 'role'])
    .where('team', '=', name)
    .where('origin', '=', 'document')
    .orderBy('user_name')
    .execute();
  return {
    name: row.name,
    description: row.description,
    source: row.source,
    digest: row.digest,
    members: members.map((member) => ({
      name: member.user_name,
      role: member.role === 'maintainer' ? 'maintainer' : 'member',
    })),
  };
}

export async function listTeamNames(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('teams').select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

/** Every team with its members from all origins (documents and OIDC groups). */
export async function listTeams(
  db: Db,
): Promise<
  { name: string; description: string | null; members: { name: string; role: string; origin: string }[] }[]
> {
  const [teams, members] = await Promise.all([
    db.selectFrom('teams').select(['name', 'description']).orderBy('name').execute(),
    db.selectFrom('team_members').selectAll().orderBy('user_name').execute(),
  ]);
  return teams.map((team) => ({
    name: team.name,
    description: team.description,
    members: members
      .filter((member) => member.team === team.name)
      .map((member) => ({ name: member.user_name, role: member.role, origin: member.origin })),
  }));
}

/** Writes a team and replaces its document-given members; members from OIDC stay. */
export async function saveTeam(
  db: Db,
  team: Omit<StoredTeam, 'members'> & {
    members: readonly string[];
    maintainers: readonly string[];
    actor: string;
    now: number;
  },
): Promise<void> {
  const values = {
    description: team.description,
    source: team.source,
    digest: team.digest,
    updated_at: team.now,
    updated_by: team.actor,
  };
  await db
    .insertInto('teams')
    .values({ name: team.name, created_at: team.now, ...values })
    .onConflict((conflict) => conflict.column('name').doUpdateSet(values))
    .execute();
  await db
    .deleteFrom('team_members')
    .where('team', '=', team.name)
    .where('origin', '=', 'document')
    .execute();
  const maintainers = new Set(team.maintainers);
  const names = [...new Set([...team.members, ...team.maintainers])];
  if (names.length > 0) {
    await db
      .insertInto('team_members')
      .values(
        names.map((name) => ({
          team: team.name,
          user_name: name,
          role: maintainers.has(name) ? 'maintainer' : 'member',
          origin: 'document',
        })),
      )
      .execute();
  }
}

export async function deleteTeam(db: Db, name: string): Promise<void> {
  await db.deleteFrom('team_members').where('team', '=', name).execute();
  await db.deleteFrom('teams').where('name', '=', name).execute();
}

/**
 * Replaces the memberships a user has from their identity provider's groups (origin `oidc`) with
 * these teams, in one transaction; memberships from Team documents stay.
 */
export async function replaceOidcMemberships(
  db: Db,
  userName: string,
  teams: readonly string[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('team_members')
      .where('user_name', '=', userName)
      .where('origin', '=', 'oidc')
      .execute();
    if (teams.length > 0) {
      await trx
        .insertInto('team_members')
        .values(teams.map((team) => ({ team, user_name: userName, role: 'member', origin: 'oidc' })))
        .execute();
    }
  });
}
