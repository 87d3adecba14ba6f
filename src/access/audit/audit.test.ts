/**
 * The audit trail's reading side on both databases: the hash chain verifies, and every kind of
 * tampering (a changed, deleted or reordered record, a deleted tail or head) is reported;
 * retention prunes without breaking the chain; concurrent appends keep it intact; the HTTP
 * API lists, verifies and exports it for admins only.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestDatabase, type TestDatabase } from '../../../test/databases.js';
import { ADMIN_TOKEN, startTestBaton, type TestBaton } from '../../../test/baton.js';
import { insertToken, insertUser } from '../store.js';
import { generateToken, hashToken, tokenPrefix } from '../tokens.js';
import { pruneAuditTrail } from './retention.js';
import { readAuditHead } from './store.js';
import type { AuditEntry } from './model.js';
import { appendAudit, hashRecord } from './trail.js';
import { verifyAuditTrail } from './verify.js';

const DAY = 86_400_000;
const entry = (n: number): AuditEntry => ({
  actor: n % 2 ? 'alice' : 'bob',
  address: '10.0.0.7',
  action: 'secret.write',
  target: `secret/db/${n}`,
  summary: { version: n },
});

describe.each(DIALECTS)('audit chain on %s', (dialect) => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await openTestDatabase(dialect);
  });
  afterEach(async () => {
    await database?.close();
  });

  async function appendMany(count: number, at = Date.now()): Promise<void> {
    for (let n = 1; n <= count; n++) await appendAudit(database.db, entry(n), at + n);
  }

  it('verifies an intact chain, walking it in pages', async () => {
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, checked: 0, firstSeq: null });
    await appendMany(20);
    const result = await verifyAuditTrail(database.db, 7);
    expect(result).toMatchObject({
      ok: true,
      checked: 20,
      firstSeq: 1,
      lastSeq: 20,
      headSeq: 20,
      problems: [],
    });
  });

  it('reports a record whose content was changed', async () => {
    await appendMany(10);
    await database.db
      .updateTable('audit_events')
      .set({ summary: JSON.stringify({ version: 999 }) })
      .where('seq', '=', 4)
      .execute();
    const result = await verifyAuditTrail(database.db, 3);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ seq: 4, problem: expect.stringMatching(/^changed/) }]);
  });

  it('reports a changed record whose hash was recomputed, at the next record', async () => {
    await appendMany(6);
    const row = await database.db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    const forged = {
      seq: 3,
      at: Number(row.at),
      actor: 'mallory',
      address: row.address,
      action: 'secret.write' as const,
      target: row.target,
      summary: { version: 3 },
      prevHash: row.prev_hash,
    };
    await database.db
      .updateTable('audit_events')
      .set({ actor: 'mallory', hash: hashRecord(forged) })
      .where('seq', '=', 3)
      .execute();
    const result = await verifyAuditTrail(database.db);
    expect(result.problems).toEqual([
      { seq: 4, problem: expect.stringMatching(/does not chain from record 3/) },
    ]);
  });

  it('reports a deleted record in the middle', async () => {
    await appendMany(10);
    await database.db.deleteFrom('audit_events').where('seq', '=', 5).execute();
    const result = await verifyAuditTrail(database.db, 4);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ seq: 6, problem: 'record 5 is missing: deleted' }]);
  });

  it('reports two records whose places were swapped', async () => {
    await appendMany(8);
    await database.db.updateTable('audit_events').set({ seq: -1 }).where('seq', '=', 3).execute();
    await database.db.updateTable('audit_events').set({ seq: 3 }).where('seq', '=', 4).execute();
    await database.db.updateTable('audit_events').set({ seq: 4 }).where('seq', '=', -1).execute();
    const result = await verifyAuditTrail(database.db);
    expect(result.ok).toBe(false);
    expect(result.problems.map((problem) => problem.seq)).toContain(3);
    expect(result.problems.map((problem) => problem.seq)).toContain(4);
  });

  it('reports a deleted last record through the head', async () => {
    await appendMany(5);
    await database.db.deleteFrom('audit_events').where('seq', '=', 5).execute();
    const result = await verifyAuditTrail(database.db);
    expect(result.problems).toEqual([
      { seq: 5, problem: expect.stringMatching(/record 5 is missing at the end/) },
    ]);
  });

  it('reports deleted oldest records that retention did not prune', async () => {
    await appendMany(5);
    await database.db.deleteFrom('audit_events').where('seq', '<=', 2).execute();
    const result = await verifyAuditTrail(database.db);
    expect(result.problems).toEqual([
      { seq: 3, problem: expect.stringMatching(/records 1-2 are missing before the first/) },
    ]);
  });

  it('prunes by retention oldest first, keeps the chain verifiable, and records the prune', async () => {
    const now = Date.now();
    for (let n = 1; n <= 12; n++) await appendAudit(database.db, entry(n), now - 500 * DAY + n);
    for (let n = 13; n <= 15; n++) await appendAudit(database.db, entry(n), now - DAY);
    // A record out of time order (another server's clock) stops the prune: only a prefix goes.
    await appendAudit(database.db, entry(16), now - 500 * DAY);
    const deleted = await pruneAuditTrail(database.db, 400 * DAY, now);
    expect(deleted).toBe(12);
    const head = await readAuditHead(database.db);
    expect(head.prunedSeq).toBe(12);
    const remaining = await database.db
      .selectFrom('audit_events')
      .select(['seq', 'action', 'summary'])
      .orderBy('seq')
      .execute();
    expect(remaining.map((row) => Number(row.seq))).toEqual([13, 14, 15, 16, 17]);
    const prune = remaining.at(-1)!;
    expect(prune.action).toBe('audit.prune');
    const summary = typeof prune.summary === 'string' ? JSON.parse(prune.summary) : prune.summary;
    expect(summary).toMatchObject({ deleted: 12, throughSeq: 12 });
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, checked: 5, firstSeq: 13 });
    // Nothing older left: a second run deletes nothing and appends nothing.
    expect(await pruneAuditTrail(database.db, 400 * DAY, now)).toBe(0);
    expect((await readAuditHead(database.db)).seq).toBe(17);
  });

  it('prunes in batches past the first one', async () => {
    const old = Date.now() - 500 * DAY;
    await database.db.transaction().execute(async (trx) => {
      for (let n = 1; n <= 1100; n++) await appendAudit(trx, entry(n), old + n);
    });
    expect(await pruneAuditTrail(database.db, 400 * DAY, Date.now())).toBe(1100);
    expect(await verifyAuditTrail(database.db)).toMatchObject({ ok: true, checked: 1, firstSeq: 1101 });
  });

  it('keeps a valid chain under 50 concurrent appends', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, n) => appendAudit(database.db, entry(n + 1))));
    const result = await verifyAuditTrail(database.db);
    expect(result).toMatchObject({ ok: true, checked: 50, firstSeq: 1, lastSeq: 50 });
  });
});

describe.each(DIALECTS)('audit API on %s', (dialect) => {
  let baton: TestBaton;
  let aliceToken: string;

  beforeAll(async () => {
    baton = await startTestBaton(dialect);
    const userId = await insertUser(baton.db, { name: 'alice', isAdmin: false, now: Date.now() });
    aliceToken = generateToken();
    await insertToken(baton.db, {
      userId,
      name: 't',
      prefix: tokenPrefix(aliceToken),
      hash: hashToken(aliceToken),
      now: Date.now(),
    });
    for (let n = 1; n <= 6; n++) await appendAudit(baton.db, entry(n));
    await appendAudit(baton.db, {
      actor: 'alice',
      action: 'token.create',
      target: 'token/9',
      summary: { owner: 'alice' },
    });
  });
  afterAll(async () => {
    await baton?.stop();
  });

  it('is for admins only', async () => {
    for (const url of ['/api/v1/audit', '/api/v1/audit/verify', '/api/v1/audit/export']) {
      const response = await baton.request('GET', url, undefined, { authorization: `Bearer ${aliceToken}` });
      expect(response.statusCode).toBe(403);
    }
  });

  it('lists newest first with filters and paging by seq', async () => {
    const all = (await baton.request('GET', '/api/v1/audit')).json();
    const seqs = all.records.map((record: { seq: number }) => record.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    for (const record of all.records) {
      expect(Object.keys(record).sort()).toEqual([
        'action',
        'actor',
        'address',
        'at',
        'hash',
        'prevHash',
        'seq',
        'summary',
        'target',
      ]);
    }

    const byActor = (await baton.request('GET', '/api/v1/audit?actor=bob')).json().records;
    expect(byActor.map((record: { target: string }) => record.target)).toEqual([
      'secret/db/6',
      'secret/db/4',
      'secret/db/2',
    ]);
    const group = (await baton.request('GET', '/api/v1/audit?action=token')).json().records;
    expect(group.map((record: { target: string }) => record.target)).toEqual(['token/9']);
    const prefix = (await baton.request('GET', '/api/v1/audit?target=secret/db/')).json().records;
    expect(prefix).toHaveLength(6);
    const future = (
      await baton.request('GET', `/api/v1/audit?since=${new Date(Date.now() + DAY).toISOString()}`)
    ).json();
    expect(future.records).toEqual([]);
    const recent = (await baton.request('GET', '/api/v1/audit?since=1h&target=secret/')).json().records;
    expect(recent).toHaveLength(6);

    const first = (await baton.request('GET', '/api/v1/audit?target=secret/&limit=4')).json();
    expect(first.records).toHaveLength(4);
    expect(first.next).toBe(first.records[3].seq);
    const second = (
      await baton.request('GET', `/api/v1/audit?target=secret/&limit=4&before=${first.next}`)
    ).json();
    expect(second.records.map((record: { target: string }) => record.target)).toEqual([
      'secret/db/2',
      'secret/db/1',
    ]);
    expect(second.next).toBeNull();

    const bad = await baton.request('GET', '/api/v1/audit?since=yesterday');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems[0].path).toBe('querystring.since');
  });

  it('exports JSON lines that chain, oldest first', async () => {
    const response = await baton.request('GET', '/api/v1/audit/export');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = response.body.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(7);
    const records = lines.map(
      (line) => JSON.parse(line) as { seq: number; hash: string; prevHash: string; at: string },
    );
    for (let i = 1; i < records.length; i++) {
      expect(records[i]!.seq).toBe(records[i - 1]!.seq + 1);
      expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    }
    // Each line carries what its hash covers, so the chain can be checked elsewhere.
    const last = records.at(-1)! as unknown as Parameters<typeof hashRecord>[0] & {
      hash: string;
      at: string;
    };
    expect(hashRecord({ ...last, at: Date.parse(last.at) })).toBe(last.hash);
    const none = await baton.request(
      'GET',
      `/api/v1/audit/export?since=${new Date(Date.now() + DAY).toISOString()}`,
    );
    expect(none.body).toBe('');
  });

  it('verifies over HTTP and reports tampering', async () => {
    const intact = (await baton.request('GET', '/api/v1/audit/verify')).json();
    expect(intact.ok).toBe(true);
    expect(intact.problems).toEqual([]);
    await baton.db
      .updateTable('audit_events')
      .set({ target: 'secret/db/other' })
      .where('seq', '=', intact.firstSeq + 1)
      .execute();
    const broken = (await baton.request('GET', '/api/v1/audit/verify')).json();
    expect(broken.ok).toBe(false);
    expect(broken.problems).toEqual([
      { seq: intact.firstSeq + 1, problem: expect.stringMatching(/^changed/) },
    ]);
  });
});

describe('the address on audit records behind a proxy', () => {
  const applyAndRead = async (trustProxy: string | undefined) => {
    const baton = await startTestBaton('sqlite', trustProxy === undefined ? {} : { trustProxy });
    try {
      const document = 'apiVersion: baton/v1\nkind: Project\nmetadata: {name: proxied}\n';
      const applied = await baton.http.inject({
        method: 'POST',
        url: '/api/v1/apply',
        remoteAddress: '10.0.0.5',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-forwarded-for': '203.0.113.7' },
        payload: { files: [{ name: 'p.yaml', content: document }] },
      });
      expect(applied.statusCode).toBe(200);
      const records = (await baton.request('GET', '/api/v1/audit?action=apply')).json().records;
      return (records as { address: string }[])[0]!.address;
    } finally {
      await baton.stop();
    }
  };

  it('records the client named by a trusted proxy, and only then', async () => {
    expect(await applyAndRead(undefined)).toBe('10.0.0.5');
    expect(await applyAndRead('10.0.0.0/8')).toBe('203.0.113.7');
    expect(await applyAndRead('192.168.0.1')).toBe('10.0.0.5');
  });
});
