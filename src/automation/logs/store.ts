/** SQL for log chunks: small functions named by verb, handed the connection. */
import type { Db } from '../../platform/db/database.js';
import { decodeChunk } from './chunk-format.js';
import type { LogLine } from './model.js';

/** A chunk ready to insert: `data` is the gzipped frame from `encodeChunk`. */
export interface NewLogChunk {
  executionId: number;
  seq: number;
  firstLine: number;
  lineCount: number;
  rawBytes: number;
  data: Uint8Array;
  createdAt: number;
}

/**
 * Stores one chunk; (execution, seq) is unique. Returns 'stored', or 'taken' when another chunk
 * already holds that seq (a stale writer): an insert replayed after a lost connection finds its
 * own chunk there and counts as stored.
 */
export async function insertLogChunk(db: Db, chunk: NewLogChunk): Promise<'stored' | 'taken'> {
  const result = await db
    .insertInto('log_chunks')
    .values({
      execution_id: chunk.executionId,
      seq: chunk.seq,
      first_line: chunk.firstLine,
      line_count: chunk.lineCount,
      raw_bytes: chunk.rawBytes,
      data: chunk.data,
      created_at: chunk.createdAt,
    })
    .onConflict((conflict) => conflict.columns(['execution_id', 'seq']).doNothing())
    .executeTakeFirst();
  if (Number(result.numInsertedOrUpdatedRows ?? 0) === 1) return 'stored';
  const existing = await db
    .selectFrom('log_chunks')
    .select(['first_line', 'line_count'])
    .where('execution_id', '=', chunk.executionId)
    .where('seq', '=', chunk.seq)
    .executeTakeFirst();
  return existing?.first_line === chunk.firstLine && existing.line_count === chunk.lineCount
    ? 'stored'
    : 'taken';
}

/** Stored lines with `from <= n < from + limit`, in order; reads only the chunks that overlap. */
export async function readLogLines(
  db: Db,
  executionId: number,
  from: number,
  limit: number,
): Promise<LogLine[]> {
  const start = Math.max(0, Math.floor(from));
  if (!(limit > 0)) return [];
  const end = start + Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER - start);
  const rows = await db
    .selectFrom('log_chunks')
    .select(['first_line', 'data'])
    .where('execution_id', '=', executionId)
    .where('first_line', '<', end)
    .where((eb) => eb(eb('first_line', '+', eb.ref('line_count')), '>', start))
    .orderBy('first_line')
    .execute();
  const lines: LogLine[] = [];
  for (const row of rows) {
    for (const line of await decodeChunk(row.data, row.first_line, start, end)) lines.push(line);
  }
  return lines;
}

/** The number after the last stored line: the line count when no chunk was lost. */
export async function countStoredLines(db: Db, executionId: number): Promise<number> {
  const row = await db
    .selectFrom('log_chunks')
    .select((eb) => eb.fn.max(eb('first_line', '+', eb.ref('line_count'))).as('next'))
    .where('execution_id', '=', executionId)
    .executeTakeFirst();
  return row?.next == null ? 0 : Number(row.next);
}

/** The highest chunk seq stored for an execution, or -1 when it has none. */
export async function lastLogChunkSeq(db: Db, executionId: number): Promise<number> {
  const row = await db
    .selectFrom('log_chunks')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('execution_id', '=', executionId)
    .executeTakeFirst();
  return row?.seq == null ? -1 : Number(row.seq);
}
