/** The audit trail over HTTP, for admins: list, verify the chain, export as JSON lines. */
import { Readable } from 'node:stream';
import {
  auditExportQuery,
  auditQuery,
  auditRecordsResponse,
  auditVerifyResponse,
} from '../../contract/audit.js';
import type { Db } from '../../platform/db/database.js';
import type { HttpApp } from '../../platform/http/app.js';
import { resources } from '../model.js';
import { parseTimeBound, viewAuditRecord } from './model.js';
import { listAuditRecords, readAuditRange } from './store.js';
import { verifyAuditTrail } from './verify.js';

const adminOnly = { access: { action: 'admin' as const, resource: () => resources.system } };

/** Records per page when exporting: bounded memory however long the trail is. */
const EXPORT_PAGE = 1000;

/** What the audit routes use of the server. */
export interface AuditRoutesDeps {
  db: Db;
}

export function registerAuditRoutes(app: HttpApp, baton: AuditRoutesDeps): void {
  app.get(
    '/api/v1/audit',
    {
      config: adminOnly,
      schema: {
        description: 'Audit records, newest first. Page with `before` (the `next` of the previous page).',
        querystring: auditQuery,
        response: { 200: auditRecordsResponse },
      },
    },
    async (request) => {
      const { query } = request;
      const now = Date.now();
      const records = await listAuditRecords(baton.db, {
        actor: query.actor,
        action: query.action,
        targetPrefix: query.target,
        since: parseTimeBound(query.since, 'querystring.since', now),
        until: parseTimeBound(query.until, 'querystring.until', now),
        before: query.before,
        limit: query.limit,
      });
      return {
        records: records.map(viewAuditRecord),
        next: records.length === query.limit ? records[records.length - 1]!.seq : null,
      };
    },
  );

  app.get(
    '/api/v1/audit/verify',
    {
      config: adminOnly,
      schema: {
        description:
          'Walks the hash chain and reports every changed, deleted or reordered record. ok is false when ' +
          'there is any problem.',
        response: { 200: auditVerifyResponse },
      },
    },
    async () => verifyAuditTrail(baton.db),
  );

  app.get(
    '/api/v1/audit/export',
    {
      config: adminOnly,
      schema: {
        description:
          'The audit records as JSON lines (application/x-ndjson), oldest first, each with its hash and ' +
          'prevHash, so the chain can be checked elsewhere.',
        querystring: auditExportQuery,
      },
    },
    async (request, reply) => {
      const now = Date.now();
      const since = parseTimeBound(request.query.since, 'querystring.since', now);
      const until = parseTimeBound(request.query.until, 'querystring.until', now);
      const db = baton.db;
      async function* lines(): AsyncGenerator<string> {
        let after = 0;
        for (;;) {
          const page = await readAuditRange(db, { after, since, until }, EXPORT_PAGE);
          if (page.length > 0) {
            yield page.map((record) => `${JSON.stringify(viewAuditRecord(record))}\n`).join('');
          }
          if (page.length < EXPORT_PAGE) return;
          after = page[page.length - 1]!.seq;
        }
      }
      return reply.type('application/x-ndjson').send(Readable.from(lines()));
    },
  );
}
