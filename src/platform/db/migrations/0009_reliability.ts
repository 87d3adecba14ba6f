/**
 * Reliability: SLO documents (Baton, OpenSLO and Sloth, kept as applied), error-budget policies,
 * what the evaluation duty keeps per SLO (per-slice good/total counts, the latest status, burn
 * alerts), counts pushed from outside, and corrections that take a time span out of an SLI.
 * Executions gain the admission gates' notes (why a change needed an approval or was let through
 * by an override).
 *
 * Storage per SLO is bounded by its window: one `slo_slices` row per objective per slice that has
 * data (a 30-day window of 5-minute slices: at most 8,640 rows), pruned past the window.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  const { bigintType: big, jsonType: json } = caps;

  // Every SLO-related document as applied. `api_version` + `kind` + `name` identify one:
  // `baton/v1 SLO checkout/availability` is named `checkout/availability`; an OpenSLO document by
  // its metadata.name; a Sloth file (which has no kind) is kind `Sloth`, named by its service.
  await db.schema
    .createTable('slo_documents')
    .addColumn('api_version', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('document', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('slo_documents_pk', ['api_version', 'kind', 'name'])
    .execute();

  await db.schema
    .createTable('budget_policies')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('spec', json, (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .execute();

  // Good and total per objective per slice, as measured (Prometheus, executions, pushed counts).
  await db.schema
    .createTable('slo_slices')
    .addColumn('slo', 'text', (c) => c.notNull()) // service/name
    .addColumn('objective', 'integer', (c) => c.notNull())
    .addColumn('slice_start', big, (c) => c.notNull())
    .addColumn('good', 'double precision', (c) => c.notNull())
    .addColumn('total', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('slo_slices_pk', ['slo', 'objective', 'slice_start'])
    .execute();

  // How far each SLO's slices are measured, and for which definition (a digest of what it
  // measures): the evaluation re-measures only from here on, and from scratch when it changes.
  await db.schema
    .createTable('slo_measure_marks')
    .addColumn('slo', 'text', (c) => c.primaryKey())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('measured_until', big, (c) => c.notNull())
    .addColumn('measured_at', big, (c) => c.notNull())
    .execute();

  // Counts POSTed for an SLO whose indicator is `type: Pushed`, per slice.
  await db.schema
    .createTable('slo_pushed_counts')
    .addColumn('slo', 'text', (c) => c.notNull())
    .addColumn('slice_start', big, (c) => c.notNull())
    .addColumn('good', 'double precision', (c) => c.notNull())
    .addColumn('total', 'double precision', (c) => c.notNull())
    .addColumn('pushed_at', big, (c) => c.notNull())
    .addColumn('pushed_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('slo_pushed_counts_pk', ['slo', 'slice_start'])
    .execute();

  // The latest evaluation of each SLO (the contract's SloStatus as JSON), read by the gate,
  // the pages and /metrics.
  await db.schema
    .createTable('slo_status')
    .addColumn('slo', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('status', json, (c) => c.notNull())
    .addColumn('evaluated_at', big, (c) => c.notNull())
    .addColumn('no_data_since', big)
    .execute();
  await db.schema.createIndex('slo_status_by_service').on('slo_status').column('service').execute();

  // Burn-rate alerts. At most one open alert per SLO and severity (the partial unique index),
  // so two servers evaluating the same burn raise it once.
  await db.schema
    .createTable('slo_alerts')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('slo', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull()) // page | ticket | no-data
    .addColumn('opened_at', big, (c) => c.notNull())
    .addColumn('resolved_at', big)
    .addColumn('detail', json, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('slo_alerts_one_open')
    .on('slo_alerts')
    .columns(['slo', 'severity'])
    .unique()
    .where(sql.ref('resolved_at'), 'is', null)
    .execute();
  await db.schema.createIndex('slo_alerts_by_slo').on('slo_alerts').columns(['slo', 'opened_at']).execute();

  // Time spans taken out of a service's SLIs: by hand (with a reason), or by an execution of a
  // `maintenance` job declared to correct it (execution_id set).
  await db.schema
    .createTable('slo_corrections')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('slo', 'text') // null: every SLO of the service
    .addColumn('starts_at', big, (c) => c.notNull())
    .addColumn('ends_at', big) // null while the maintenance execution runs
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('execution_id', 'integer')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('slo_corrections_by_service')
    .on('slo_corrections')
    .columns(['service', 'starts_at'])
    .execute();

  // Overrides of the budget gate: who let change jobs on a service through, why, until when.
  await db.schema
    .createTable('budget_overrides')
    .addColumn('id', caps.identityType, caps.identity)
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('granted_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('execution_id', 'integer')
    .execute();
  await db.schema
    .createIndex('budget_overrides_by_service')
    .on('budget_overrides')
    .columns(['service', 'expires_at'])
    .execute();

  // What admission gates said about an execution (a JSON list of notes); null when none spoke.
  await db.schema.alterTable('executions').addColumn('admission', json).execute();
  // Service labels, which error-budget policies select by; null when the document has none.
  await db.schema.alterTable('services').addColumn('labels', json).execute();
}
