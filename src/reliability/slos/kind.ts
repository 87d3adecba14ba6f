/**
 * SLO documents in `baton apply`: Baton's `kind: SLO` (baton/v1), the seven OpenSLO v1 kinds
 * (openslo/v1) and Sloth files (`version: prometheus/v1`), all kept as written in
 * `slo_documents`.
 *
 * Each kind checks its own shape; the references between them (an SLO's service, SLI,
 * DataSource, AlertPolicy …) are checked once per apply by one plan check, which reads the
 * documents the apply leaves behind — those stored and neither replaced nor pruned, plus those
 * applied — through the same `readSloDocuments` the evaluation uses. So a document is accepted
 * exactly when Baton can evaluate it, and deleting an SLI that an SLO still uses is refused,
 * naming the SLO.
 *
 * Identity and permissions:
 * - baton/v1 SLO: scope = its service, name = metadata.name; stored as `service/name`, so two
 *   services may each have an SLO called `availability`. Needs `edit` on `service/<service>`
 *   (a service's owning team has it).
 * - openslo/v1 SLO: scope = its service, name = metadata.name (OpenSLO names are unique per
 *   kind). Needs `edit` on its service, and on the old one when it moves to another service.
 * - openslo/v1 Service and a Sloth file (named by its `service`): `edit` on `service/<name>`.
 * - openslo/v1 SLI, DataSource, AlertPolicy, AlertCondition, AlertNotificationTarget: shared by
 *   the SLOs of any service, so `edit` on `system` (administrators, or whom a policy grants it);
 *   a DataSource's bearer-token secret also needs `run` on the secret, as a job's secrets do.
 */
import type { z } from 'zod';
import { resources } from '../../access/model.js';
import { existingSecretPaths } from '../../access/secrets/store.js';
import { listTeamNames } from '../../access/teams/store.js';
import type { Db } from '../../platform/db/database.js';
import type { ApplyService, DocumentKind, PlanCheck, PlanProblem } from '../../platform/documents/apply.js';
import { formatPath, type SourceDocument } from '../../platform/documents/source.js';
import { serviceKind } from '../services/kind.js';
import type { ServiceDocument } from '../services/model.js';
import { listServices } from '../services/store.js';
import {
  batonSloDocument,
  openSloAlertConditionDocument,
  openSloAlertNotificationTargetDocument,
  openSloAlertPolicyDocument,
  openSloDataSourceDocument,
  openSloServiceDocument,
  openSloSliDocument,
  openSloSloDocument,
  type OpenSloDataSourceDocument,
  type OpenSloKind,
} from './documents.js';
import type { DocumentFinding } from './model.js';
import { checkPromqlAll, type PromqlCheck, type PromqlCheckOptions } from './promql-check.js';
import { queriesOf } from './queries.js';
import { OWNER_ANNOTATION, readSloDocuments } from './resolve.js';
import { isSlothDocument, slothDocument } from './sloth.js';
import {
  deleteSloDocument,
  getSloDocument,
  listSloDocuments,
  saveSloDocument,
  type SloDocumentKey,
  type StoredSloDocument,
} from './store.js';

export const OPENSLO_API_VERSION = 'openslo/v1';
export const SLOTH_API_VERSION = 'prometheus/v1';
/** The kind a Sloth file is stored and reported as (the file itself has none). */
export const SLOTH_KIND = 'Sloth';

/** What the SLO kinds need from the server. */
export interface SloDocumentsDeps {
  /**
   * Decrypts a secret (a DataSource's bearer token) to check queries with; without it, queries
   * to a Prometheus that needs a token are not checked (a warning says so).
   */
  openSecret?(db: Db, path: string): Promise<string>;
  /** The Prometheus for queries that name no DataSource (Sloth files, inline `type: Prometheus`). */
  defaultPrometheusUrl?: string;
  /** How queries are sent (timeout; fetch for tests). */
  promql?: PromqlCheckOptions;
}

type SloKindOptions<T> = Pick<
  DocumentKind<T>,
  'kind' | 'schema' | 'identify' | 'resource' | 'recognize' | 'requires' | 'check'
> & {
  readonly apiVersion: string;
  /** The name the document is stored under, unique per apiVersion and kind (default: its name). */
  storedName?(scope: string, name: string): string;
};

/** The slo_documents key of a document of a kind. */
function keyOf(
  kind: { apiVersion?: string; kind: string; storedName?: (scope: string, name: string) => string },
  scope: string,
  name: string,
): SloDocumentKey {
  return {
    apiVersion: kind.apiVersion!,
    kind: kind.kind,
    name: kind.storedName ? kind.storedName(scope, name) : name,
  };
}

function keyText(key: SloDocumentKey): string {
  return `${key.apiVersion} ${key.kind} ${key.name}`;
}

/** A kind of SLO document, with what the cross-document check needs to find it in slo_documents. */
type SloDocumentKind<T = unknown> = DocumentKind<T> & SloKindOptions<T>;

/** One DocumentKind over slo_documents; scopes of stored documents come from `identify`. */
function sloDocumentKind<T>(options: SloKindOptions<T>): SloDocumentKind<T> {
  return {
    ...options,
    load: async (db, scope, name) => {
      const stored = await getSloDocument(db, keyOf(options, scope, name));
      if (!stored) return undefined;
      // PostgreSQL's jsonb keeps keys in its own order; parsed again, the stored form has the
      // schema's order, as the applied one has, so a diff shows only what changed.
      const parsed = options.schema.safeParse(stored.document);
      return { digest: stored.digest, document: parsed.success ? parsed.data : stored.document };
    },
    names: async (db, scope) =>
      (await listSloDocuments(db, { apiVersion: options.apiVersion, kind: options.kind }))
        .map((stored) => options.identify(stored.document as T))
        .filter((identity) => identity.scope === scope)
        .map((identity) => identity.name),
    save: async (db, document, context) => {
      const { scope, name } = options.identify(document);
      await saveSloDocument(db, keyOf(options, scope, name), {
        document,
        source: context.source,
        digest: context.digest,
        actor: context.actor,
        now: context.now,
      });
    },
    remove: (db, scope, name) => deleteSloDocument(db, keyOf(options, scope, name)),
  };
}

export const batonSloKind = sloDocumentKind({
  apiVersion: 'baton/v1',
  kind: 'SLO',
  schema: batonSloDocument,
  identify: (document) => ({ scope: document.spec.service, name: document.metadata.name }),
  storedName: (scope, name) => `${scope}/${name}`,
  resource: (scope) => resources.service(scope),
});

export const openSloSloKind = sloDocumentKind({
  apiVersion: OPENSLO_API_VERSION,
  kind: 'SLO',
  schema: openSloSloDocument,
  identify: (document) => ({ scope: document.spec.service, name: document.metadata.name }),
  resource: (scope) => resources.service(scope),
  /** Moving an SLO to another service also needs `edit` on the service it leaves. */
  requires: async (_db, document, stored) => {
    const before = (stored as { spec?: { service?: unknown } } | undefined)?.spec?.service;
    return typeof before === 'string' && before !== document.spec.service
      ? [{ action: 'edit', resource: resources.service(before), path: ['spec', 'service'] }]
      : [];
  },
});

export const openSloServiceKind = sloDocumentKind({
  apiVersion: OPENSLO_API_VERSION,
  kind: 'Service',
  schema: openSloServiceDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: (_scope, name) => resources.service(name),
});

export const openSloDataSourceKind = sloDocumentKind({
  apiVersion: OPENSLO_API_VERSION,
  kind: 'DataSource',
  schema: openSloDataSourceDocument,
  identify: (document) => ({ scope: '', name: document.metadata.name }),
  resource: () => resources.system,
  /** `run` on the secret holding the bearer token: naming it makes Baton send it to the URL. */
  requires: async (_db, document) => {
    const secret = bearerTokenSecretOf(document);
    return secret === undefined
      ? []
      : [
          {
            action: 'run',
            resource: resources.secret(secret),
            path: ['spec', 'connectionDetails', 'bearerTokenSecret'],
          },
        ];
  },
  /** Every secret a DataSource names must exist. */
  check: async (db, plan) => {
    const named = plan.documents.flatMap((document) => {
      const secret = bearerTokenSecretOf(document.value);
      return secret === undefined ? [] : [{ secret, source: document.source }];
    });
    const existing = await existingSecretPaths(db, [...new Set(named.map(({ secret }) => secret))]);
    return named
      .filter(({ secret }) => !existing.has(secret))
      .map(({ secret, source }) => ({
        document: source,
        path: ['spec', 'connectionDetails', 'bearerTokenSecret'],
        message: `unknown secret "${secret}"`,
        expected: 'a secret that exists (baton secrets set PATH)',
      }));
  },
});

function bearerTokenSecretOf(document: OpenSloDataSourceDocument): string | undefined {
  const secret = document.spec.connectionDetails.bearerTokenSecret;
  return typeof secret === 'string' ? secret : undefined;
}

/** SLIs and alerting documents: shared by the SLOs of any service, so `edit` on `system`. */
function sharedOpenSloKind<T extends { metadata: { name: string } }>(
  kind: OpenSloKind,
  schema: z.ZodType<T>,
) {
  return sloDocumentKind({
    apiVersion: OPENSLO_API_VERSION,
    kind,
    schema,
    identify: (document) => ({ scope: '', name: document.metadata.name }),
    resource: () => resources.system,
  });
}

export const openSloKinds = [
  openSloServiceKind,
  openSloDataSourceKind,
  sharedOpenSloKind('SLI', openSloSliDocument),
  sharedOpenSloKind('AlertCondition', openSloAlertConditionDocument),
  sharedOpenSloKind('AlertNotificationTarget', openSloAlertNotificationTargetDocument),
  sharedOpenSloKind('AlertPolicy', openSloAlertPolicyDocument),
  openSloSloKind,
];

export const slothKind = sloDocumentKind({
  apiVersion: SLOTH_API_VERSION,
  kind: SLOTH_KIND,
  schema: slothDocument,
  recognize: isSlothDocument,
  identify: (document) => ({ scope: '', name: document.service }),
  resource: (_scope, name) => resources.service(name),
});

/** Every SLO kind, in the order they register. */
export const SLO_KINDS: readonly SloDocumentKind[] = [batonSloKind, ...openSloKinds, slothKind];

/** A document of the apply, as the reading sees it. */
interface PlannedSloDocument {
  readonly source: SourceDocument;
  readonly value: unknown;
}

/** The cross-document check of every SLO document in an apply (see the file comment). */
export function sloDocumentsCheck(deps: SloDocumentsDeps = {}): PlanCheck {
  return {
    // Baton Services too: pruning one that an SLO is about must fail, naming the SLO.
    kinds: [...SLO_KINDS, serviceKind],
    check: async (db, plan) => {
      const stored = await listSloDocuments(db);
      const replaced = new Set<string>();
      const planned: PlannedSloDocument[] = [];
      for (const kind of SLO_KINDS) {
        const kindPlan = plan.of(kind);
        if (!kindPlan) continue;
        for (const document of kindPlan.documents) {
          replaced.add(keyText(keyOf(kind, document.scope, document.name)));
          planned.push({ source: document.source, value: document.value });
        }
        for (const deletion of kindPlan.deletions)
          replaced.add(keyText(keyOf(kind, deletion.scope, deletion.name)));
      }
      const kept = stored.filter((document) => !replaced.has(keyText(document)));
      const storedServices = new Map(
        (await listServices(db)).map((service) => [service.name, { owner: service.owner }]),
      );
      const batonServices = new Map(storedServices);
      for (const deletion of plan.deleted('Service')) batonServices.delete(deletion.name);
      for (const service of plan.planned('Service')) {
        batonServices.set(service.name, { owner: (service.value as ServiceDocument).spec.owner });
      }
      // One reading of what the apply leaves behind: stored documents first, then the planned.
      const documents = [...kept.map((document) => document.document), ...planned.map((p) => p.value)];
      const reading = readSloDocuments(documents, { batonServices });

      const problems: PlanProblem[] = [];
      const warnings: PlanProblem[] = [];
      const preexisting = reading.problems.some((finding) => finding.document < kept.length)
        ? preexistingProblems(stored, storedServices)
        : new Set<string>();
      for (const finding of reading.problems) {
        if (finding.document < kept.length) {
          const document = kept[finding.document]!;
          if (preexisting.has(findingText(document, finding))) continue;
          problems.push(storedDocumentProblem(document, finding));
        } else {
          problems.push(plannedFinding(planned, finding.document - kept.length, finding));
        }
      }
      for (const finding of reading.warnings) {
        if (finding.document >= kept.length)
          warnings.push(plannedFinding(planned, finding.document - kept.length, finding));
      }
      if (problems.length > 0) return { problems, warnings };

      const teams = new Set([...(await listTeamNames(db)), ...plan.planned('Team').map((team) => team.name)]);
      for (const document of planned) warnings.push(...ownerWarnings(document, batonServices, teams));
      const checked = await checkQueries(db, planned, documents, deps);
      return { problems: checked.problems, warnings: [...warnings, ...checked.warnings] };
    },
  };
}

/** Makes every SLO kind appliable, with their one cross-document check. */
export function registerSloDocuments(apply: ApplyService, deps: SloDocumentsDeps = {}): void {
  for (const kind of SLO_KINDS) apply.register(kind);
  apply.registerCheck(sloDocumentsCheck(deps));
}

function plannedFinding(
  planned: readonly PlannedSloDocument[],
  index: number,
  finding: DocumentFinding,
): PlanProblem {
  const document = planned[index];
  return {
    ...(document ? { document: document.source, path: finding.path } : {}),
    message: finding.message,
    ...(finding.expected !== undefined ? { expected: finding.expected } : {}),
    ...(finding.found !== undefined ? { foundText: finding.found } : {}),
  };
}

/**
 * A stored document this apply breaks (its SLI deleted, its service pruned): it is not in the
 * files, so the problem names it and the field that no longer resolves.
 */
function storedDocumentProblem(document: StoredSloDocument, finding: DocumentFinding): PlanProblem {
  const where = formatPath(finding.path);
  return {
    message: `${keyText(document)} (stored, not in this apply) would break: ${where ? `${where}: ` : ''}${finding.message}`,
    ...(finding.expected !== undefined ? { expected: finding.expected } : {}),
    ...(finding.found !== undefined ? { foundText: finding.found } : {}),
  };
}

function findingText(document: StoredSloDocument, finding: DocumentFinding): string {
  return JSON.stringify([keyText(document), finding.path, finding.message]);
}

/**
 * What is wrong with the stored documents already, before this apply: not this apply's fault,
 * and refusing every apply for it would leave no way to fix it.
 */
function preexistingProblems(
  stored: readonly StoredSloDocument[],
  services: ReadonlyMap<string, { owner: string }>,
): Set<string> {
  const reading = readSloDocuments(
    stored.map((document) => document.document),
    { batonServices: services },
  );
  return new Set(reading.problems.map((finding) => findingText(stored[finding.document]!, finding)));
}

/**
 * An applied OpenSLO Service or Sloth file whose service no team owns, or whose owner (an
 * annotation or label, which Baton cannot refuse the way it refuses a Baton Service's owner)
 * names a team that does not exist. Read from the document itself, as resolve.ts reads owners:
 * a Baton Service of the same name owns the service whatever the document says.
 */
function ownerWarnings(
  document: PlannedSloDocument,
  batonServices: ReadonlyMap<string, { owner: string }>,
  teams: ReadonlySet<string>,
): PlanProblem[] {
  const value = document.value as {
    kind?: unknown;
    service?: unknown;
    labels?: { owner?: unknown };
    metadata?: { name?: unknown; annotations?: Record<string, unknown> };
  };
  const sloth = isSlothDocument(value);
  if (
    !sloth &&
    !(value.kind === 'Service' && (value as { apiVersion?: unknown }).apiVersion === OPENSLO_API_VERSION)
  ) {
    return [];
  }
  const service = String(sloth ? value.service : value.metadata?.name);
  if (batonServices.has(service)) return [];
  const owner = sloth ? value.labels?.owner : value.metadata?.annotations?.[OWNER_ANNOTATION];
  if (typeof owner !== 'string') {
    return [
      {
        document: document.source,
        path: sloth ? ['service'] : ['metadata', 'name'],
        message: `service ${service} has no owner: it is listed as unowned, and no team is asked about its budget`,
        expected: sloth
          ? `a labels.owner naming a team, or a baton/v1 Service ${service} with spec.owner`
          : `an annotation ${OWNER_ANNOTATION}: TEAM, or a baton/v1 Service ${service} with spec.owner`,
      },
    ];
  }
  if (teams.has(owner)) return [];
  return [
    {
      document: document.source,
      path: sloth ? ['labels', 'owner'] : ['metadata', 'annotations', OWNER_ANNOTATION],
      message: `service ${service} is owned by team ${owner}, which does not exist`,
      expected: 'a team that exists (kind: Team)',
    },
  ];
}

/** A DataSource as a query needs it. */
interface QueryTarget {
  readonly url?: string;
  readonly bearerTokenSecret?: string;
  readonly prometheus: boolean;
}

/**
 * Sends each query of the applied documents to its Prometheus: a parse error is a problem at the
 * query, anything that keeps it from being checked is a warning there.
 */
async function checkQueries(
  db: Db,
  planned: readonly PlannedSloDocument[],
  all: readonly unknown[],
  deps: SloDocumentsDeps,
): Promise<{ problems: PlanProblem[]; warnings: PlanProblem[] }> {
  const dataSources = new Map<string, QueryTarget>();
  for (const value of all) {
    const document = value as Partial<OpenSloDataSourceDocument>;
    if (document.apiVersion !== OPENSLO_API_VERSION || document.kind !== 'DataSource' || !document.metadata)
      continue;
    const details = document.spec!.connectionDetails;
    dataSources.set(document.metadata.name, {
      prometheus: document.spec!.type === 'Prometheus',
      ...(typeof details.url === 'string' ? { url: details.url } : {}),
      ...(typeof details.bearerTokenSecret === 'string'
        ? { bearerTokenSecret: details.bearerTokenSecret }
        : {}),
    });
  }
  const problems: PlanProblem[] = [];
  const warnings: PlanProblem[] = [];
  const checks: { check: PromqlCheck; source: SourceDocument; path: readonly (string | number)[] }[] = [];
  const tokens = new Map<string, Promise<string>>();
  for (const document of planned) {
    let unaddressed: readonly (string | number)[] | undefined;
    for (const query of queriesOf(document.value)) {
      const target: QueryTarget =
        query.dataSource !== undefined
          ? (dataSources.get(query.dataSource) ?? { prometheus: false })
          : { prometheus: true, ...(deps.defaultPrometheusUrl ? { url: deps.defaultPrometheusUrl } : {}) };
      if (!target.prometheus) continue;
      if (target.url === undefined) {
        unaddressed ??= query.path;
        continue;
      }
      let bearerToken: string | undefined;
      if (target.bearerTokenSecret !== undefined) {
        const secret = target.bearerTokenSecret;
        if (!deps.openSecret) {
          warnings.push({
            document: document.source,
            path: query.path,
            message: `not checked: the bearer token of Prometheus at ${target.url} (secret ${secret}) cannot be read here`,
          });
          continue;
        }
        if (!tokens.has(secret)) tokens.set(secret, deps.openSecret(db, secret));
        try {
          bearerToken = await tokens.get(secret)!;
        } catch (error) {
          warnings.push({
            document: document.source,
            path: query.path,
            message: `not checked: ${(error as Error).message}`,
          });
          continue;
        }
      }
      checks.push({
        check: {
          url: target.url,
          query: query.query,
          template: query.template,
          ...(bearerToken !== undefined ? { bearerToken } : {}),
        },
        source: document.source,
        path: query.path,
      });
    }
    if (unaddressed) {
      warnings.push({
        document: document.source,
        path: unaddressed,
        message: 'PromQL not checked: no Prometheus URL to send it to',
        expected:
          'a default Prometheus (BATON_PROMETHEUS_URL), or a metricSourceRef to a DataSource of type Prometheus with connectionDetails.url',
      });
    }
  }
  const verdicts = await checkPromqlAll(
    checks.map(({ check }) => check),
    deps.promql,
  );
  verdicts.forEach((verdict, index) => {
    const { check, source, path } = checks[index]!;
    if (verdict.kind === 'invalid') {
      problems.push({
        document: source,
        path,
        message: `Prometheus at ${check.url} cannot parse the query: ${verdict.message}`,
        expected: 'a PromQL expression',
      });
    } else if (verdict.kind === 'not-checked') {
      warnings.push({ document: source, path, message: `not checked: ${verdict.reason}` });
    }
  });
  return { problems, warnings };
}
