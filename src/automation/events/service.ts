/**
 * Receiving events and firing rules. A hook request is authenticated by the hook's own key before
 * anything is read into events; then each event is matched against the hook's rules, and every
 * firing goes through ExecutionService.prepare as the rule's owner (the same checks as
 * `baton run`). Storing the events, claiming dedup keys and throttle slots, inserting the
 * executions and recording every outcome is one transaction: a request is stored whole or not at all.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessControl } from '../../access/authorize.js';
import { resources, type Principal } from '../../access/model.js';
import type { Keyring } from '../../access/secrets/keyring.js';
import type { Db } from '../../platform/db/database.js';
import {
  BatonError,
  formatProblem,
  InputError,
  NotFoundError,
  UnauthenticatedError,
} from '../../platform/errors.js';
import type { Logger } from '../../platform/logging.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Execution } from '../executions/model.js';
import type { ExecutionService, PreparedExecution } from '../executions/service.js';
import { claimChain, getExecution } from '../executions/store.js';
import { openSecret } from '../secrets/delivery.js';
import { findOwners } from '../schedules/store.js';
import { evaluate, parseExpression, parseTemplate, renderTemplate, type Expr } from './expression.js';
import {
  ruleJob,
  SIGNATURE_MAX_AGE_MS,
  sloMatches,
  windowMs,
  type ChainNode,
  type Event,
  type EventFormat,
  type Hook,
  type RaisedEventSource,
  type Rule,
  type RuleMatch,
  type RuleOutcome,
} from './model.js';
import { parseHookBody, type ParsedEvent } from './parsers.js';
import {
  claimDedup,
  claimThrottle,
  getEvent,
  getHook,
  insertEvent,
  insertMatch,
  listEvents,
  listHooks,
  listMatches,
  listRules,
  listRulesFor,
  releaseDedup,
  type EventFilter,
} from './store.js';

/** A hook request, as the route hands it over: headers and the exact bytes received. */
export interface HookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** What the hook answers: the stored events and what each matching rule did. */
export interface HookReceipt {
  events: {
    id: number;
    fingerprint: string;
    rules: { rule: string; outcome: RuleOutcome; executionId: number | null; reason: string | null }[];
  }[];
}

/**
 * An event a capability above automation raises itself (an SLO burn-rate alert), for the rules
 * listening to its source. Automation stores and matches it and knows nothing else of it.
 */
export interface RaisedEvent {
  /** Whose event it is: who may view it in the events list (`view` on the project). */
  project: string;
  source: RaisedEventSource;
  /** Stable for the one happening (e.g. one alert's opening): rules dedup on it by default. */
  fingerprint: string;
  fields: Record<string, unknown>;
}

/** What raising an event did: the stored event and what each matching rule did. */
export interface RaisedReceipt<T> {
  /** What the claim returned. */
  claimed: T;
  eventId: number;
  rules: { rule: string; outcome: RuleOutcome; executionId: number | null; reason: string | null }[];
}

/** One rule's decision about one event, made before the transaction. */
interface Firing {
  rule: Rule;
  /** The prepared execution, or why the rule may not fire. */
  prepared?: PreparedExecution;
  owner?: Principal;
  refused?: { outcome: 'refused' | 'error'; reason: string };
  dedupKey: string | undefined;
}

/** The outcome of a firing once the transaction decided it. */
interface Fired {
  rule: Rule;
  outcome: RuleOutcome;
  executionId: number | null;
  reason: string | null;
  prepared?: PreparedExecution;
}

const HEADER = (headers: HookRequest['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The one answer to every refused key, unknown hook included: which check failed would tell a
 * prober that the hook exists. The precise reason goes to the server log.
 */
export const HOOK_REFUSAL = 'unknown hook, or a missing or invalid key';

/** Constant-time equality of two strings of any length (hashing first evens the lengths out). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Parsed rule expressions and templates, by rule digest: a rule is parsed once per change, not per event. */
class CompiledRules {
  private readonly cache = new Map<string, { when: Expr | undefined; templates: Map<string, unknown> }>();

  of(rule: Rule): { when: Expr | undefined; render(value: unknown, fields: unknown): unknown } {
    let compiled = this.cache.get(rule.digest);
    if (!compiled) {
      compiled = {
        when: rule.spec.when === undefined ? undefined : parseExpression(rule.spec.when),
        templates: new Map(),
      };
      if (this.cache.size > 1000) this.cache.clear();
      this.cache.set(rule.digest, compiled);
    }
    const templates = compiled.templates;
    const render = (value: unknown, fields: unknown): unknown => {
      if (typeof value === 'string') {
        let template = templates.get(value) as ReturnType<typeof parseTemplate> | undefined;
        if (!template) templates.set(value, (template = parseTemplate(value)));
        return renderTemplate(template, fields);
      }
      if (Array.isArray(value)) return value.map((item) => render(item, fields));
      return value;
    };
    return { when: compiled.when, render };
  }
}

export interface EventServiceOptions {
  db: Db;
  access: AccessControl;
  executions: ExecutionService;
  keyring: Keyring;
  metrics: Metrics;
  logger: Logger;
}

export class EventService {
  private readonly compiled = new CompiledRules();

  constructor(private readonly options: EventServiceOptions) {}

  /** The hook a request names, or undefined (the route answers 401 without saying which). */
  findHook(project: string, name: string): Promise<Hook | undefined> {
    return getHook(this.options.db, project, name);
  }

  /**
   * Checks a request's key against the hook's: `Authorization: Bearer` for a token hook;
   * `X-Baton-Timestamp` and `X-Baton-Signature: sha256=HMAC(key, timestamp + "." + body)` for an
   * HMAC hook, refusing timestamps more than 5 minutes away (replays). Throws UnauthenticatedError
   * (HOOK_REFUSAL), logging why.
   */
  async authenticate(hook: Hook, request: HookRequest, now = Date.now()): Promise<void> {
    const reason = await this.keyProblem(hook, request, now);
    if (reason === undefined) return;
    this.options.logger.info({ hook: `${hook.project}/${hook.name}`, reason }, 'hook request refused');
    throw new UnauthenticatedError(HOOK_REFUSAL);
  }

  private async keyProblem(hook: Hook, request: HookRequest, now: number): Promise<string | undefined> {
    let key: string;
    try {
      key = await openSecret(this.options.db, this.options.keyring, hook.secretPath);
    } catch (error) {
      this.options.logger.warn(
        { hook: `${hook.project}/${hook.name}`, err: error },
        'hook key cannot be read; refusing its requests',
      );
      return 'the hook key cannot be read';
    }
    if (hook.auth === 'token') {
      const match = /^Bearer\s+(\S+)$/i.exec(HEADER(request.headers, 'authorization') ?? '');
      if (!match) return 'missing token: send "Authorization: Bearer <hook token>"';
      return sameSecret(match[1]!, key) ? undefined : 'invalid hook token';
    }
    const timestamp = HEADER(request.headers, 'x-baton-timestamp');
    const signature = HEADER(request.headers, 'x-baton-signature');
    if (!timestamp || !signature) {
      return 'missing signature: send X-Baton-Timestamp and X-Baton-Signature';
    }
    const seconds = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || Math.abs(now - seconds * 1000) > SIGNATURE_MAX_AGE_MS) {
      return 'stale or invalid X-Baton-Timestamp (must be within 5 minutes)';
    }
    const expected = `sha256=${createHmac('sha256', key).update(`${timestamp}.`).update(request.body).digest('hex')}`;
    return sameSecret(signature, expected) ? undefined : 'invalid signature';
  }

  /** Reads an authenticated body into events, stores them and fires the hook's rules. */
  async receive(hook: Hook, body: Buffer): Promise<HookReceipt> {
    const parsed = parseHookBody(hook.format, body);
    const rules = await listRulesFor(this.options.db, `hook:${hook.name}`, hook.project);
    const decided: { event: ParsedEvent; firings: Firing[] }[] = [];
    for (const event of parsed) {
      decided.push({ event, firings: await this.decide(rules, event.fields, event.fingerprint) });
    }
    const now = Date.now();
    const stored = await this.options.db.transaction().execute(async (trx) => {
      const results: { id: number; fingerprint: string; fired: Fired[] }[] = [];
      for (const { event, firings } of decided) {
        const id = await insertEvent(trx, {
          project: hook.project,
          hook: hook.name,
          format: hook.format,
          fingerprint: event.fingerprint,
          fields: event.fields,
          now,
        });
        results.push({
          id,
          fingerprint: event.fingerprint,
          fired: await this.fire(trx, id, null, firings, now),
        });
      }
      return results;
    });
    this.announce(stored.flatMap((event) => event.fired));
    return {
      events: stored.map((event) => ({
        id: event.id,
        fingerprint: event.fingerprint,
        rules: event.fired.map((fired) => ({
          rule: `${fired.rule.project}/${fired.rule.name}`,
          outcome: fired.outcome,
          executionId: fired.executionId,
          reason: fired.reason,
        })),
      })),
    };
  }

  /**
   * Evaluates rules on a finished execution (the chain). Runs in one transaction that first
   * takes the execution's chain flag: of two servers, one fires and the other finds it taken.
   * The firings are recorded on the event that caused the execution, or on a new event made
   * from the execution when nothing did. Returns false when another server had taken it.
   */
  async evaluateFinished(executionId: number): Promise<boolean> {
    const { db } = this.options;
    const execution = await getExecution(db, executionId);
    if (!execution) return claimChain(db, executionId);
    const rules = await listRulesFor(db, `execution:${execution.project}/${execution.job}`);
    const root = execution.cause ? await getEvent(db, execution.cause.eventId) : undefined;
    const fields = finishedFields(execution, root);
    const firings = rules.length === 0 ? [] : await this.decide(rules, fields, `execution:${execution.id}`);
    const now = Date.now();
    const fired = await db.transaction().execute(async (trx) => {
      if (!(await claimChain(trx, executionId))) return undefined;
      if (firings.length === 0) return [];
      const eventId =
        root?.id ??
        (await insertEvent(trx, {
          project: execution.project,
          hook: null,
          format: 'execution' satisfies EventFormat,
          fingerprint: `execution:${execution.id}`,
          fields,
          now,
        }));
      return this.fire(trx, eventId, execution.id, firings, now);
    });
    if (fired === undefined) return false;
    this.announce(fired);
    return true;
  }

  /**
   * Stores a raised event and fires the rules listening to its source, in one transaction that
   * first runs `claim` (e.g. the insert that opens an alert): when the claim returns undefined
   * (another server got there first) nothing is stored and nothing fires, so of two servers
   * raising the same happening exactly one event and one set of executions exist. Rules of every
   * project listen (an OpenSLO SLO belongs to no project); each rule's own filters narrow them.
   */
  async raise<T>(
    event: RaisedEvent,
    claim: (trx: Db) => Promise<T | undefined>,
    now = Date.now(),
  ): Promise<RaisedReceipt<T> | undefined> {
    const { db } = this.options;
    const rules = (await listRulesFor(db, event.source)).filter(
      (rule) => 'slo' in rule.spec.on && sloMatches(rule.spec.on.slo, event.fields),
    );
    const firings = await this.decide(rules, event.fields, event.fingerprint);
    const stored = await db.transaction().execute(async (trx) => {
      const claimed = await claim(trx);
      if (claimed === undefined) return undefined;
      const eventId = await insertEvent(trx, {
        project: event.project,
        hook: null,
        format: event.source,
        fingerprint: event.fingerprint,
        fields: event.fields,
        now,
      });
      return { claimed, eventId, fired: await this.fire(trx, eventId, null, firings, now) };
    });
    if (stored === undefined) return undefined;
    this.announce(stored.fired);
    return {
      claimed: stored.claimed,
      eventId: stored.eventId,
      rules: stored.fired.map((fired) => ({
        rule: `${fired.rule.project}/${fired.rule.name}`,
        outcome: fired.outcome,
        executionId: fired.executionId,
        reason: fired.reason,
      })),
    };
  }

  /** Which rules match and what each would run, checked as its owner; nothing stored. */
  private async decide(
    rules: readonly Rule[],
    fields: Record<string, unknown>,
    fingerprint: string,
  ): Promise<Firing[]> {
    const owners = await findOwners(
      this.options.db,
      rules.map((rule) => rule.owner),
    );
    const firings: Firing[] = [];
    for (const rule of rules) {
      let compiled;
      try {
        compiled = this.compiled.of(rule);
      } catch (error) {
        // Checked at apply; a rule stored by an older version that no longer parses is an error, not a crash.
        firings.push({ rule, dedupKey: undefined, refused: { outcome: 'error', reason: String(error) } });
        continue;
      }
      if (compiled.when && !evaluate(compiled.when, fields)) continue;
      const dedupKey = rule.spec.dedup
        ? rule.spec.dedup.key === undefined
          ? fingerprint
          : String(compiled.render(rule.spec.dedup.key, fields) ?? '')
        : undefined;
      const owner = owners.get(rule.owner);
      if (!owner || owner.disabled) {
        firings.push({
          rule,
          dedupKey,
          refused: {
            outcome: 'refused',
            reason: `its owner "${rule.owner}" ${owner ? 'is disabled' : 'no longer exists'}`,
          },
        });
        continue;
      }
      const principal: Principal = {
        kind: owner.kind === 'service' ? 'service' : 'user',
        id: owner.id,
        name: rule.owner,
        isAdmin: owner.isAdmin,
        via: 'internal',
      };
      const options = Object.fromEntries(
        Object.entries(rule.spec.options).map(([name, value]) => [name, compiled.render(value, fields)]),
      );
      const job = ruleJob(rule.project, rule.spec.job);
      try {
        const prepared = await this.options.executions.prepare(principal, job.project, job.name, options, {
          trigger: 'rule',
        });
        firings.push({ rule, dedupKey, prepared, owner: principal });
      } catch (error) {
        if (!(error instanceof BatonError)) throw error;
        const details = error instanceof InputError ? error.problems.map(formatProblem).join('; ') : '';
        firings.push({
          rule,
          dedupKey,
          refused: { outcome: 'refused', reason: `${error.message}${details ? ` (${details})` : ''}` },
        });
      }
    }
    return firings;
  }

  /** Claims dedup and throttle, inserts the executions and records every outcome, in `trx`. */
  private async fire(
    trx: Db,
    eventId: number,
    triggerExecutionId: number | null,
    firings: readonly Firing[],
    now: number,
  ): Promise<Fired[]> {
    const fired: Fired[] = [];
    for (const firing of firings) {
      const { rule } = firing;
      let result: Fired;
      if (firing.refused) {
        result = { rule, outcome: firing.refused.outcome, executionId: null, reason: firing.refused.reason };
      } else {
        result = await this.claimAndInsert(trx, eventId, firing, now);
      }
      await insertMatch(trx, {
        eventId,
        rule: { project: rule.project, name: rule.name },
        triggerExecutionId,
        outcome: result.outcome,
        executionId: result.executionId,
        reason: result.reason,
        now,
      });
      fired.push(result);
    }
    return fired;
  }

  private async claimAndInsert(trx: Db, eventId: number, firing: Firing, now: number): Promise<Fired> {
    const { rule, dedupKey } = firing;
    const dedup = rule.spec.dedup;
    if (dedup && dedupKey !== undefined) {
      const window = windowMs(dedup.window);
      const claimed = await claimDedup(trx, {
        ruleId: rule.id,
        key: dedupKey,
        now,
        until: now + window,
        eventId,
      });
      if (!claimed) {
        return {
          rule,
          outcome: 'deduplicated',
          executionId: null,
          reason: `key "${dedupKey}" already fired within ${dedup.window}`,
        };
      }
    }
    const throttle = rule.spec.throttle;
    if (throttle) {
      const claimed = await claimThrottle(trx, {
        ruleId: rule.id,
        now,
        perMs: windowMs(throttle.per),
        max: throttle.max,
      });
      if (!claimed) {
        // The key did not fire after all: the next event with it may.
        if (dedup && dedupKey !== undefined)
          await releaseDedup(trx, { ruleId: rule.id, key: dedupKey, now, eventId });
        return {
          rule,
          outcome: 'throttled',
          executionId: null,
          reason: `${throttle.max} executions per ${throttle.per} reached`,
        };
      }
    }
    const executionId = await this.options.executions.insertPrepared(trx, firing.owner!, firing.prepared!, {
      eventId,
      rule: `${rule.project}/${rule.name}`,
    });
    return { rule, outcome: 'triggered', executionId, reason: null, prepared: firing.prepared! };
  }

  /** After commit: count the outcomes and wake the workers. */
  private announce(fired: readonly Fired[]): void {
    for (const result of fired) {
      this.options.metrics.ruleFirings.inc({ outcome: result.outcome });
      if (result.executionId !== null && result.prepared) {
        this.options.executions.announce(result.executionId, result.prepared);
      }
      if (result.outcome === 'refused' || result.outcome === 'error') {
        this.options.logger.warn(
          { rule: `${result.rule.project}/${result.rule.name}`, reason: result.reason },
          'rule matched but did not fire',
        );
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  private mayView(caller: Principal, project: string): boolean {
    return this.options.access.authorize(caller, 'view', resources.project(project)).allowed;
  }

  /** Events the caller may view (view on their project), newest first, and the next page's cursor. */
  async list(
    caller: Principal,
    filter: EventFilter,
  ): Promise<{ events: (Event & { matches: RuleMatch[] })[]; next: number | null }> {
    const visible: Event[] = [];
    let before = filter.beforeId;
    // Bounded like the executions listing: filtering by permission reads at most this many rows.
    for (let scanned = 0; scanned < 5_000; scanned += 200) {
      const rows = await listEvents(this.options.db, { ...filter, beforeId: before, limit: 200 });
      for (const event of rows) {
        before = event.id;
        if (!this.mayView(caller, event.project)) continue;
        visible.push(event);
        if (visible.length === filter.limit) break;
      }
      if (visible.length === filter.limit || rows.length < 200) break;
    }
    const matches = await listMatches(
      this.options.db,
      visible.map((event) => event.id),
    );
    const full = visible.length === filter.limit;
    return {
      events: visible.map((event) => ({
        ...event,
        matches: matches.filter((match) => match.eventId === event.id),
      })),
      next: full ? visible.at(-1)!.id : null,
    };
  }

  /** An event with its chain: rule → execution → rule → execution…; NotFoundError when the caller may not see it. */
  async detail(caller: Principal, id: number): Promise<Event & { chain: ChainNode[] }> {
    const event = await getEvent(this.options.db, id);
    if (!event || !this.mayView(caller, event.project)) throw new NotFoundError(`event ${id} not found`);
    const matches = await listMatches(this.options.db, [id]);
    const executions = new Map<number, Execution>();
    for (const match of matches) {
      if (match.executionId !== null && !executions.has(match.executionId)) {
        const execution = await getExecution(this.options.db, match.executionId);
        if (execution) executions.set(execution.id, execution);
      }
    }
    const build = (trigger: number | null, depth: number): ChainNode[] =>
      matches
        .filter((match) => match.triggerExecutionId === trigger)
        .map((match) => {
          const execution = match.executionId === null ? undefined : executions.get(match.executionId);
          return {
            rule: match.rule,
            outcome: match.outcome,
            reason: match.reason,
            at: match.at,
            execution: execution
              ? {
                  id: execution.id,
                  job: `${execution.project}/${execution.job}`,
                  state: execution.state,
                  exitCode: execution.exitCode,
                  output: execution.output,
                }
              : match.executionId === null
                ? null
                : { id: match.executionId, job: '', state: 'deleted', exitCode: null, output: null },
            // Chains are finite (each link is a finished execution), but a guard costs nothing.
            next: match.executionId === null || depth > 20 ? [] : build(match.executionId, depth + 1),
          };
        });
    return { ...event, chain: build(null, 0) };
  }

  /** Rules the caller may view. */
  async rules(caller: Principal, project?: string): Promise<Rule[]> {
    return (await listRules(this.options.db, { project })).filter(
      (rule) =>
        this.options.access.authorize(caller, 'view', resources.rule(rule.project, rule.name)).allowed,
    );
  }

  /** Hooks the caller may view (where their keys live, never the keys). */
  async hooks(caller: Principal, project?: string): Promise<Hook[]> {
    return (await listHooks(this.options.db, project)).filter(
      (hook) =>
        this.options.access.authorize(caller, 'view', resources.hook(hook.project, hook.name)).allowed,
    );
  }
}

/**
 * What rules on finished executions see: `job` (PROJECT/NAME), `project`, `name`, `state`,
 * `exitCode`, `reason`, `output.*`, `options.*`, `execution` (its id), and the fields of the event
 * that caused it under `event.*` (null when none did).
 */
export function finishedFields(execution: Execution, root: Event | undefined): Record<string, unknown> {
  return {
    execution: execution.id,
    job: `${execution.project}/${execution.job}`,
    project: execution.project,
    name: execution.job,
    state: execution.state,
    exitCode: execution.exitCode,
    reason: execution.reason,
    output: execution.output ?? {},
    outputError: execution.outputError,
    options: execution.options,
    event: root ? root.payload : null,
  };
}
