/**
 * `baton apply`: documents of any kind, applied kubectl-style. Every document is validated and
 * every cross-document check runs before anything is written; then all changes are written in
 * one transaction. One bad document means nothing changes.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { Authorize, Caller, CallerAction, CallerResource } from '../authorization.js';
import { digestOf } from '../canonical-json.js';
import type { Db } from '../db/database.js';
import { ForbiddenError, InputError, type Problem } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { parseSources, type FieldPath, type SourceDocument, type SourceFile } from './source.js';
import { describeDocumentPlace, describeValue, problemAt, validateDocument } from './validate.js';

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'deleted';

export interface ApplyResult {
  kind: string;
  /** Set for documents of another apiVersion than `baton/v1` (`openslo/v1`, `prometheus/v1`). */
  apiVersion?: string;
  /** The namespace a document lives in (a job's project). */
  scope: string;
  name: string;
  action: ApplyAction;
  /** Where the document came from; absent for deletions. */
  file?: string;
  /** Unified diff of the stored and applied forms, on dry runs. */
  diff?: string;
}

export interface ApplyRequest {
  files: SourceFile[];
  dryRun?: boolean;
  /** Delete documents of the same kind and scope that the files no longer contain. */
  prune?: boolean;
}

/** Accepted, but worth saying: where, what, and what would be better. */
export interface ApplyWarning {
  file: string;
  line: number;
  column: number;
  path?: string;
  message: string;
  expected?: string;
}

/** What an apply did (or, on a dry run, would do), and what it has to say about the documents. */
export interface ApplyOutcome {
  results: ApplyResult[];
  warnings: ApplyWarning[];
}

/** The apiVersion of Baton's own kinds, and of every kind that does not name another. */
export const BATON_API_VERSION = 'baton/v1';

export { digestOf };

/** A validated document waiting to be applied. */
export interface PlannedDocument<T> {
  source: SourceDocument;
  value: T;
  scope: string;
  name: string;
}

/** Everything an apply will do to one kind, handed to the kind's cross-document check. */
export interface KindPlan<T> {
  documents: PlannedDocument<T>[];
  /** `scope/name` of documents that prune will delete. */
  deletions: { scope: string; name: string }[];
  /**
   * The documents of another kind in the same apply (a Policy may name a Team applied with it);
   * `apiVersion` tells `Service` (baton/v1) from OpenSLO's `Service`.
   */
  planned(kind: string, apiVersion?: string): { scope: string; name: string; value: unknown }[];
}

/** Every kind's part of an apply, for checks that span kinds. */
export interface ApplyPlan {
  /** The plan of one kind, when the apply holds (or prunes) documents of it. */
  of<T>(kind: DocumentKind<T>): KindPlan<T> | undefined;
  planned(kind: string, apiVersion?: string): { scope: string; name: string; value: unknown }[];
  /** What prune deletes of a kind (a check may need to know that a Service goes away). */
  deleted(kind: string, apiVersion?: string): { scope: string; name: string }[];
}

/**
 * A check over the whole apply, run once, after every kind's own check and every permission:
 * for families of kinds whose documents refer to each other (an SLO to its SLI and DataSource),
 * checked together so that each reference is resolved once. It may reach outside Baton (a
 * query sent to a data source), which is why it runs only once the applier is authorized.
 */
export interface PlanCheck {
  /** The kinds whose documents, applied or pruned, make the check run. */
  readonly kinds: readonly DocumentKind<unknown>[];
  check(db: Db, plan: ApplyPlan): Promise<{ problems: PlanProblem[]; warnings: PlanProblem[] }>;
}

/** A permission an apply needs beyond `edit` on the document itself. */
export interface RequiredPermission {
  action: CallerAction;
  resource: CallerResource;
  /** Where in the document the need comes from, for the error message. */
  path?: FieldPath;
}

/** A problem found by a cross-document check; the apply service locates it in its file. */
export interface PlanProblem {
  document?: SourceDocument;
  path?: FieldPath;
  message: string;
  expected?: string;
  found?: unknown;
  /** What was found, already written for a person (shown as is, where `found` is quoted as JSON). */
  foundText?: string;
}

/** What each kind of document (Job now; Policy, Node, Schedule… later) tells the apply service. */
export interface DocumentKind<T> {
  readonly kind: string;
  /** The apiVersion documents of this kind carry; `baton/v1` when absent. */
  readonly apiVersion?: string;
  /**
   * For formats that carry no `apiVersion` and `kind` (a Sloth file has `version: prometheus/v1`):
   * whether a document is of this kind. Kinds with a recognizer are asked first.
   */
  recognize?(value: unknown): boolean;
  readonly schema: z.ZodType<T>;
  identify(document: T): { scope: string; name: string };
  /** The resource whose `edit` permission applying this document needs. */
  resource(scope: string, name: string): CallerResource;
  /** The stored document (for diffs) and the digest it was saved with, when it exists. */
  load(db: Db, scope: string, name: string): Promise<{ digest: string; document: unknown } | undefined>;
  names(db: Db, scope: string): Promise<string[]>;
  check?(db: Db, plan: KindPlan<T>): Promise<PlanProblem[]>;
  /**
   * Further permissions the applier needs for this document, e.g. `run` on each secret a job
   * uses, or `admin` on a project to change its owner. `stored` is the current stored form;
   * `actor` is who applies it (a schedule that runs as someone else needs more).
   */
  requires?(db: Db, document: T, stored: unknown, actor: Caller): Promise<RequiredPermission[]>;
  save(
    db: Db,
    document: T,
    context: { source: string; digest: string; actor: string; now: number },
  ): Promise<void>;
  remove(db: Db, scope: string, name: string): Promise<void>;
}

function render(value: unknown): string {
  return value === undefined ? '' : stringify(value, { lineWidth: 0 });
}

export interface ApplyHooks {
  /**
   * Runs in the apply's transaction after the changes are written, when something changed:
   * the audit record commits with the change or not at all.
   */
  recordChanges?(db: Db, actor: Caller, changes: ApplyResult[]): Promise<void>;
  /** Runs after a commit that changed something (authorization reloads its snapshot). */
  committed?(results: ApplyResult[]): Promise<void>;
}

/** `Job`, `openslo/v1 SLI`: a kind as messages name it. */
export function kindLabel(kind: Pick<DocumentKind<unknown>, 'kind' | 'apiVersion'>): string {
  const apiVersion = kind.apiVersion ?? BATON_API_VERSION;
  return apiVersion === BATON_API_VERSION ? kind.kind : `${apiVersion} ${kind.kind}`;
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

export class ApplyService {
  /** By `apiVersion kind`. */
  private readonly kinds = new Map<string, DocumentKind<unknown>>();
  private readonly planChecks: PlanCheck[] = [];

  constructor(
    private readonly db: Db,
    private readonly authorize: Authorize,
    private readonly hooks: ApplyHooks = {},
  ) {}

  /** Makes a kind of document appliable. */
  register<T>(kind: DocumentKind<T>): void {
    this.kinds.set(kindKey(kind.apiVersion ?? BATON_API_VERSION, kind.kind), kind as DocumentKind<unknown>);
  }

  /** Adds a check that spans kinds; it runs once per apply that touches any of its kinds. */
  registerCheck(check: PlanCheck): void {
    this.planChecks.push(check);
  }

  /** Applies (or, on a dry run, only plans) the documents of the given files, all or nothing. */
  async apply(request: ApplyRequest, actor: Caller, now = Date.now()): Promise<ApplyResult[]> {
    return (await this.applyWithWarnings(request, actor, now)).results;
  }

  /** Like `apply`, with the warnings about documents it accepted (the API and the CLI show them). */
  async applyWithWarnings(request: ApplyRequest, actor: Caller, now = Date.now()): Promise<ApplyOutcome> {
    const documents = parseSources(request.files);
    const problems: Problem[] = [];
    const warnings: ApplyWarning[] = [];
    const byKind = new Map<DocumentKind<unknown>, PlannedDocument<unknown>[]>();
    const seen = new Map<string, SourceDocument>();

    for (const source of documents) {
      const kind = this.kindOf(source, problems);
      if (!kind) continue;
      const validated = validateDocument(kind.schema, source);
      if ('problems' in validated) {
        problems.push(...validated.problems);
        continue;
      }
      const { scope, name } = kind.identify(validated.value);
      const key = `${kindLabel(kind)}/${scope}/${name}`;
      const earlier = seen.get(key);
      if (earlier) {
        problems.push(
          problemAt(source, kind.recognize ? [] : ['metadata', 'name'], {
            message: `${kindLabel(kind)} ${scope ? `${scope}/` : ''}${name} is also defined in ${earlier.file} (${describeDocumentPlace(earlier)})`,
          }),
        );
        continue;
      }
      seen.set(key, source);
      const planned = byKind.get(kind) ?? [];
      planned.push({ source, value: validated.value, scope, name });
      byKind.set(kind, planned);
    }
    if (problems.length > 0) throw invalid(problems);
    if (documents.length === 0) throw new InputError('no documents found in the given files');

    const plans = new Map<DocumentKind<unknown>, KindPlan<unknown>>();
    const plannedOf = (other: string, apiVersion = BATON_API_VERSION) =>
      [...byKind].flatMap(([candidate, documents]) =>
        candidate.kind === other && (candidate.apiVersion ?? BATON_API_VERSION) === apiVersion
          ? documents.map(({ scope, name, value }) => ({ scope, name, value }))
          : [],
      );
    const located = (problem: PlanProblem): Problem => {
      const detail = {
        message: problem.message,
        expected: problem.expected,
        found: problem.foundText ?? describeValue(problem.found),
      };
      return problem.document ? problemAt(problem.document, problem.path ?? [], detail) : detail;
    };
    for (const [kind, planned] of byKind) {
      const deletions: KindPlan<unknown>['deletions'] = [];
      if (request.prune) {
        for (const scope of new Set(planned.map((document) => document.scope))) {
          const keep = new Set(
            planned.filter((document) => document.scope === scope).map((document) => document.name),
          );
          for (const name of await kind.names(this.db, scope)) {
            if (!keep.has(name)) deletions.push({ scope, name });
          }
        }
      }
      const plan: KindPlan<unknown> = { documents: planned, deletions, planned: plannedOf };
      plans.set(kind, plan);
      for (const problem of (await kind.check?.(this.db, plan)) ?? []) problems.push(located(problem));
      for (const document of planned) {
        this.authorize(actor, 'edit', kind.resource(document.scope, document.name));
        if (kind.requires) {
          const stored = await kind.load(this.db, document.scope, document.name);
          for (const need of await kind.requires(this.db, document.value, stored?.document, actor)) {
            this.authorizeNeed(actor, need, document.source);
          }
        }
      }
      for (const deletion of deletions)
        this.authorize(actor, 'edit', kind.resource(deletion.scope, deletion.name));
    }
    const applyPlan: ApplyPlan = {
      of: <T>(kind: DocumentKind<T>) => plans.get(kind as DocumentKind<unknown>) as KindPlan<T> | undefined,
      planned: plannedOf,
      deleted: (other, apiVersion = BATON_API_VERSION) =>
        [...plans].flatMap(([candidate, plan]) =>
          candidate.kind === other && (candidate.apiVersion ?? BATON_API_VERSION) === apiVersion
            ? plan.deletions
            : [],
        ),
    };
    for (const check of this.planChecks) {
      if (!check.kinds.some((kind) => plans.has(kind))) continue;
      const found = await check.check(this.db, applyPlan);
      problems.push(...found.problems.map(located));
      for (const warning of found.warnings) {
        const place = located(warning);
        if (place.file === undefined || place.line === undefined || place.column === undefined) continue;
        warnings.push({
          file: place.file,
          line: place.line,
          column: place.column,
          ...(place.path !== undefined ? { path: place.path } : {}),
          message: place.message,
          ...(place.expected !== undefined ? { expected: place.expected } : {}),
        });
      }
    }
    if (problems.length > 0) throw invalid(problems);
    warnings.sort(byPlace);

    const run = async (db: Db): Promise<ApplyResult[]> => {
      const results: ApplyResult[] = [];
      for (const [kind, plan] of plans) {
        for (const document of plan.documents) {
          const stored = await kind.load(db, document.scope, document.name);
          const digest = digestOf(document.value);
          const action: ApplyAction =
            stored === undefined ? 'created' : stored.digest === digest ? 'unchanged' : 'updated';
          const result: ApplyResult = {
            ...identity(kind),
            scope: document.scope,
            name: document.name,
            action,
            file: document.source.file,
          };
          if (request.dryRun && action !== 'unchanged')
            result.diff = diff(result, stored?.document, document.value);
          if (!request.dryRun && action !== 'unchanged') {
            await kind.save(db, document.value, {
              source: document.source.text,
              digest,
              actor: actor.name,
              now,
            });
          }
          results.push(result);
        }
        for (const deletion of plan.deletions) {
          const result: ApplyResult = { ...identity(kind), ...deletion, action: 'deleted' };
          if (request.dryRun) {
            result.diff = diff(
              result,
              (await kind.load(db, deletion.scope, deletion.name))?.document,
              undefined,
            );
          } else await kind.remove(db, deletion.scope, deletion.name);
          results.push(result);
        }
      }
      return results;
    };
    if (request.dryRun) return { results: await run(this.db), warnings };
    const results = await this.db
      .transaction()
      .execute(async (trx) => {
        const results = await run(trx);
        const changes = results.filter((result) => result.action !== 'unchanged');
        if (changes.length > 0) await this.hooks.recordChanges?.(trx, actor, changes);
        return results;
      })
      .then(async (results) => {
        if (results.some((result) => result.action !== 'unchanged')) await this.hooks.committed?.(results);
        return results;
      });
    return { results, warnings };
  }

  /** Checks a further permission, naming the place in the file that needs it when it is refused. */
  private authorizeNeed(actor: Caller, need: RequiredPermission, source: SourceDocument): void {
    try {
      this.authorize(actor, need.action, need.resource);
    } catch (error) {
      if (!(error instanceof ForbiddenError) || !need.path) throw error;
      const where = problemAt(source, need.path, { message: '' });
      throw new ForbiddenError(`${error.message} (needed by ${where.file}:${where.line}:${where.column})`);
    }
  }

  /**
   * The kind of a document: one whose recognizer claims it (formats without apiVersion and
   * kind), else the kind registered for its apiVersion and kind.
   */
  private kindOf(source: SourceDocument, problems: Problem[]): DocumentKind<unknown> | undefined {
    const value = source.value as { kind?: unknown; apiVersion?: unknown } | null;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(
        problemAt(source, [], {
          message: 'a document must be a mapping',
          expected: 'apiVersion, kind, metadata, spec',
        }),
      );
      return undefined;
    }
    const registered = [...this.kinds.values()];
    const recognized = registered.find((kind) => kind.recognize?.(value));
    if (recognized) return recognized;
    const known = [...new Set(registered.map((kind) => kind.kind))];
    if (typeof value.kind !== 'string') {
      problems.push(
        problemAt(source, ['kind'], { message: 'is required', expected: `one of ${known.join(', ')}` }),
      );
      return undefined;
    }
    const candidates = registered.filter((kind) => kind.kind === value.kind);
    if (candidates.length === 0) {
      problems.push(
        problemAt(source, ['kind'], {
          message: `unknown kind "${value.kind}"${didYouMean(value.kind, known)}`,
          expected: `one of ${known.join(', ')}`,
        }),
      );
      return undefined;
    }
    const apiVersions = candidates.map((kind) => kind.apiVersion ?? BATON_API_VERSION);
    if (typeof value.apiVersion === 'string') {
      const kind = this.kinds.get(kindKey(value.apiVersion, value.kind));
      if (kind) return kind;
      problems.push(
        problemAt(source, ['apiVersion'], {
          message: `kind ${value.kind} has no apiVersion "${value.apiVersion}"${didYouMean(value.apiVersion, apiVersions)}`,
          expected: `one of ${apiVersions.join(', ')}`,
        }),
      );
      return undefined;
    }
    // Without an apiVersion, a kind that has only one lets its schema say what is missing.
    if (candidates.length === 1) return candidates[0];
    problems.push(
      problemAt(source, ['apiVersion'], {
        message: `is required: kind ${value.kind} exists in more than one apiVersion`,
        expected: `one of ${apiVersions.join(', ')}`,
      }),
    );
    return undefined;
  }
}

/** The kind and apiVersion an apply result names. */
function identity(kind: DocumentKind<unknown>): Pick<ApplyResult, 'kind' | 'apiVersion'> {
  const apiVersion = kind.apiVersion ?? BATON_API_VERSION;
  return apiVersion === BATON_API_VERSION ? { kind: kind.kind } : { kind: kind.kind, apiVersion };
}

function byPlace(
  a: { file?: string; line?: number; column?: number },
  b: { file?: string; line?: number; column?: number },
): number {
  return (
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    (a.column ?? 0) - (b.column ?? 0)
  );
}

/** All problems, in reading order: by file, then line, then column. */
function invalid(problems: Problem[]): InputError {
  const count = problems.length;
  const sorted = [...problems].sort(byPlace);
  return new InputError(`nothing was applied: ${count} problem${count > 1 ? 's' : ''} found`, sorted);
}

function diff(result: ApplyResult, stored: unknown, applied: unknown): string {
  const label = `${result.apiVersion ? `${result.apiVersion} ` : ''}${result.kind} ${result.scope}/${result.name}`;
  return createTwoFilesPatch(
    `${label} (stored)`,
    `${label} (applied)`,
    render(stored),
    render(applied),
    '',
    '',
    {
      context: 3,
    },
  );
}
