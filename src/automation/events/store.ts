/**
 * SQL for hooks, rules, events and their matches. Dedup and throttle are one conditional upsert
 * each: of several servers handling the same alert at once, the database lets exactly one of
 * them claim the key (or the throttle slot); nothing here reads a row and decides in JavaScript.
 */
import { sql, type Selectable } from 'kysely';
import { readJson } from '../../platform/db/capabilities.js';
import type { Db } from '../../platform/db/database.js';
import type { EventsTable, HooksTable, RulesTable } from '../../platform/db/schema.js';
import {
  MAX_STORED_PAYLOAD_BYTES,
  type Event,
  type EventFormat,
  type Hook,
  type HookFormat,
  type Rule,
  type RuleMatch,
  type RuleOutcome,
  type RuleSpec,
} from './model.js';

function toHook(row: Selectable<HooksTable>): Hook {
  return {
    project: row.project,
    name: row.name,
    description: row.description,
    format: row.format as HookFormat,
    auth: row.auth as Hook['auth'],
    secretPath: row.secret_path,
    maxBytes: row.max_bytes,
    updatedAt: new Date(row.updated_at),
    updatedBy: row.updated_by,
  };
}

export function toRule(row: Selectable<RulesTable>): Rule {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    description: row.description,
    trigger: row.trigger,
    spec: readJson<RuleSpec>(row.spec),
    runAs: row.run_as,
    owner: row.owner,
    enabled: row.enabled === 1,
    digest: row.digest,
    updatedAt: new Date(row.updated_at),
    updatedBy: row.updated_by,
  };
}

function toEvent(row: Selectable<EventsTable>): Event {
  return {
    id: row.id,
    project: row.project,
    hook: row.hook,
    format: row.format as EventFormat,
    receivedAt: new Date(row.received_at),
    fingerprint: row.fingerprint,
    payload: readJson<Record<string, unknown>>(row.payload),
    payloadBytes: row.payload_bytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Hooks

export interface HookWrite {
  project: string;
  name: string;
  description: string | null;
  format: HookFormat;
  auth: 'hmac' | 'token';
  secretPath: string;
  maxBytes: number;
  source: string;
  digest: string;
  actor: string;
  now: number;
}

export async function saveHook(db: Db, hook: HookWrite): Promise<void> {
  const values = {
    description: hook.description,
    format: hook.format,
    auth: hook.auth,
    secret_path: hook.secretPath,
    max_bytes: hook.maxBytes,
    source: hook.source,
    digest: hook.digest,
    updated_at: hook.now,
    updated_by: hook.actor,
  };
  await db
    .insertInto('hooks')
    .values({ project: hook.project, name: hook.name, created_at: hook.now, ...values })
    .onConflict((conflict) => conflict.columns(['project', 'name']).doUpdateSet(values))
    .execute();
}

export async function getHookRow(db: Db, project: string, name: string) {
  return db
    .selectFrom('hooks')
    .selectAll()
    .where('project', '=', project)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function getHook(db: Db, project: string, name: string): Promise<Hook | undefined> {
  const row = await getHookRow(db, project, name);
  return row && toHook(row);
}

export async function deleteHook(db: Db, project: string, name: string): Promise<void> {
  await db.deleteFrom('hooks').where('project', '=', project).where('name', '=', name).execute();
}

export async function listHookNames(db: Db, project: string): Promise<string[]> {
  const rows = await db.selectFrom('hooks').select('name').where('project', '=', project).execute();
  return rows.map((row) => row.name);
}

export async function listHooks(db: Db, project?: string): Promise<Hook[]> {
  let query = db.selectFrom('hooks').selectAll().orderBy('project').orderBy('name');
  if (project) query = query.where('project', '=', project);
  return (await query.execute()).map(toHook);
}

// ---------------------------------------------------------------------------------------------
// Rules

export interface RuleWrite {
  project: string;
  name: string;
  description: string | null;
  trigger: string;
  spec: RuleSpec;
  runAs: string | null;
  owner: string;
  enabled: boolean;
  source: string;
  digest: string;
  actor: string;
  now: number;
}

export async function saveRule(db: Db, rule: RuleWrite): Promise<void> {
  const values = {
    description: rule.description,
    trigger: rule.trigger,
    spec: JSON.stringify(rule.spec),
    run_as: rule.runAs,
    owner: rule.owner,
    enabled: rule.enabled ? 1 : 0,
    source: rule.source,
    digest: rule.digest,
    updated_at: rule.now,
    updated_by: rule.actor,
  };
  await db
    .insertInto('rules')
    .values({ project: rule.project, name: rule.name, created_at: rule.now, ...values })
    .onConflict((conflict) => conflict.columns(['project', 'name']).doUpdateSet(values))
    .execute();
}

export async function getRule(db: Db, project: string, name: string): Promise<Rule | undefined> {
  const row = await db
    .selectFrom('rules')
    .selectAll()
    .where('project', '=', project)
    .where('name', '=', name)
    .executeTakeFirst();
  return row && toRule(row);
}

/** Removes a rule with its dedup keys and throttle window. */
export async function deleteRule(db: Db, project: string, name: string): Promise<void> {
  const rule = await getRule(db, project, name);
  if (!rule) return;
  await db.deleteFrom('rule_dedup').where('rule_id', '=', rule.id).execute();
  await db.deleteFrom('rule_throttle').where('rule_id', '=', rule.id).execute();
  await db.deleteFrom('rules').where('id', '=', rule.id).execute();
}

export async function listRuleNames(db: Db, project: string): Promise<string[]> {
  const rows = await db.selectFrom('rules').select('name').where('project', '=', project).execute();
  return rows.map((row) => row.name);
}

export async function listRules(db: Db, filter: { project?: string | undefined } = {}): Promise<Rule[]> {
  let query = db.selectFrom('rules').selectAll().orderBy('project').orderBy('name');
  if (filter.project) query = query.where('project', '=', filter.project);
  return (await query.execute()).map(toRule);
}

/** Enabled rules listening to a trigger (`hook:NAME` within a project, or `execution:P/J` anywhere). */
export async function listRulesFor(db: Db, trigger: string, project?: string): Promise<Rule[]> {
  let query = db
    .selectFrom('rules')
    .selectAll()
    .where('trigger', '=', trigger)
    .where('enabled', '=', 1)
    .orderBy('project')
    .orderBy('name');
  if (project !== undefined) query = query.where('project', '=', project);
  return (await query.execute()).map(toRule);
}

/** Rules (any project) whose `on.execution` or `job` names a job, for the checks that keep a job from being deleted under them. */
export async function listRulesOfJob(db: Db, project: string, job: string): Promise<Rule[]> {
  const rows = await db.selectFrom('rules').selectAll().execute();
  return rows
    .map(toRule)
    .filter(
      (rule) =>
        rule.trigger === `execution:${project}/${job}` ||
        (rule.spec.job === job && rule.project === project) ||
        rule.spec.job === `${project}/${job}`,
    );
}

// ---------------------------------------------------------------------------------------------
// Dedup and throttle

/**
 * Claims a dedup key until `until`: inserts it, or takes it over when its previous window has
 * passed. True when this call claimed it; false when another event holds it (deduplicated).
 */
export async function claimDedup(
  db: Db,
  claim: { ruleId: number; key: string; now: number; until: number; eventId: number },
): Promise<boolean> {
  const row = await db
    .insertInto('rule_dedup')
    .values({ rule_id: claim.ruleId, dedup_key: claim.key, until: claim.until, event_id: claim.eventId })
    .onConflict((conflict) =>
      conflict
        .columns(['rule_id', 'dedup_key'])
        .doUpdateSet({ until: claim.until, event_id: claim.eventId })
        .where('rule_dedup.until', '<=', claim.now),
    )
    .returning('rule_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a claimed key back (the fire was throttled after all): an expired key is no key. */
export async function releaseDedup(
  db: Db,
  claim: { ruleId: number; key: string; now: number; eventId: number },
): Promise<void> {
  await db
    .updateTable('rule_dedup')
    .set({ until: claim.now })
    .where('rule_id', '=', claim.ruleId)
    .where('dedup_key', '=', claim.key)
    .where('event_id', '=', claim.eventId)
    .execute();
}

/**
 * Takes one slot of a rule's throttle: a fixed window that starts at the first fire after the
 * previous window ended, holding at most `max` fires. One statement: the window restarts, or the
 * count grows while it is below `max`; when neither applies no row changes and the fire is throttled.
 */
export async function claimThrottle(
  db: Db,
  claim: { ruleId: number; now: number; perMs: number; max: number },
): Promise<boolean> {
  const expiredBefore = claim.now - claim.perMs;
  const row = await db
    .insertInto('rule_throttle')
    .values({ rule_id: claim.ruleId, window_start: claim.now, count: 1 })
    .onConflict((conflict) =>
      conflict
        .column('rule_id')
        .doUpdateSet({
          window_start: sql<number>`CASE WHEN rule_throttle.window_start <= ${expiredBefore} THEN ${claim.now} ELSE rule_throttle.window_start END`,
          count: sql<number>`CASE WHEN rule_throttle.window_start <= ${expiredBefore} THEN 1 ELSE rule_throttle.count + 1 END`,
        })
        .where((eb) =>
          eb.or([
            eb('rule_throttle.window_start', '<=', expiredBefore),
            eb('rule_throttle.count', '<', claim.max),
          ]),
        ),
    )
    .returning('rule_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Removes dedup keys whose window passed long ago (they would be taken over anyway). */
export async function deleteExpiredDedup(db: Db, before: number): Promise<void> {
  await db.deleteFrom('rule_dedup').where('until', '<', before).execute();
}

// ---------------------------------------------------------------------------------------------
// Events and matches

/** The fields as stored: whole when small enough, otherwise a note of their size. */
export function storedPayload(fields: Record<string, unknown>): { json: string; bytes: number } {
  const json = JSON.stringify(fields);
  const bytes = Buffer.byteLength(json);
  if (bytes <= MAX_STORED_PAYLOAD_BYTES) return { json, bytes };
  return {
    json: JSON.stringify({ truncated: true, note: `${bytes} bytes of fields, over the stored limit` }),
    bytes,
  };
}

export async function insertEvent(
  db: Db,
  event: {
    project: string;
    hook: string | null;
    format: EventFormat;
    fingerprint: string;
    fields: Record<string, unknown>;
    now: number;
  },
): Promise<number> {
  const payload = storedPayload(event.fields);
  const row = await db
    .insertInto('events')
    .values({
      project: event.project,
      hook: event.hook,
      format: event.format,
      received_at: event.now,
      fingerprint: event.fingerprint,
      payload: payload.json,
      payload_bytes: payload.bytes,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertMatch(
  db: Db,
  match: {
    eventId: number;
    rule: { project: string; name: string };
    triggerExecutionId: number | null;
    outcome: RuleOutcome;
    executionId: number | null;
    reason: string | null;
    now: number;
  },
): Promise<void> {
  await db
    .insertInto('event_matches')
    .values({
      event_id: match.eventId,
      rule_project: match.rule.project,
      rule_name: match.rule.name,
      trigger_execution_id: match.triggerExecutionId,
      outcome: match.outcome,
      execution_id: match.executionId,
      reason: match.reason,
      at: match.now,
    })
    .execute();
}

export async function getEvent(db: Db, id: number): Promise<Event | undefined> {
  const row = await db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toEvent(row);
}

export interface EventFilter {
  project?: string | undefined;
  hook?: string | undefined;
  since?: number | undefined;
  beforeId?: number | undefined;
  limit: number;
}

/** Events newest first. */
export async function listEvents(db: Db, filter: EventFilter): Promise<Event[]> {
  let query = db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.project) query = query.where('project', '=', filter.project);
  if (filter.hook) query = query.where('hook', '=', filter.hook);
  if (filter.since !== undefined) query = query.where('received_at', '>=', filter.since);
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
  return (await query.execute()).map(toEvent);
}

export async function listMatches(db: Db, eventIds: readonly number[]): Promise<RuleMatch[]> {
  if (eventIds.length === 0) return [];
  const rows = await db
    .selectFrom('event_matches')
    .selectAll()
    .where('event_id', 'in', [...eventIds])
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    rule: `${row.rule_project}/${row.rule_name}`,
    triggerExecutionId: row.trigger_execution_id,
    outcome: row.outcome as RuleOutcome,
    executionId: row.execution_id,
    reason: row.reason,
    at: new Date(row.at),
  }));
}

export async function countEvents(db: Db): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

// ---------------------------------------------------------------------------------------------
// The chain: the rules that watch finished executions (the executions store keeps the flags)

/** The `execution:PROJECT/JOB` triggers of enabled rules: the jobs whose finishes something watches. */
export async function listWatchedJobs(db: Db): Promise<Set<string>> {
  const rows = await db
    .selectFrom('rules')
    .select('trigger')
    .distinct()
    .where('trigger', 'like', 'execution:%')
    .where('enabled', '=', 1)
    .execute();
  return new Set(rows.map((row) => row.trigger.slice('execution:'.length)));
}

/** Deletes one batch of events received before the cutoff (their matches go with them); returns how many. */
export async function deleteEventsBefore(db: Db, cutoff: number, batch: number): Promise<number> {
  const ids = (
    await db
      .selectFrom('events')
      .select('id')
      .where('received_at', '<', cutoff)
      .orderBy('id')
      .limit(batch)
      .execute()
  ).map((row) => row.id);
  if (ids.length === 0) return 0;
  await db.deleteFrom('events').where('id', 'in', ids).execute();
  return ids.length;
}
