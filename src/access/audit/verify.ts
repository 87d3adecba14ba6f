/**
 * Verifying the audit trail: walk the chain from the pruned point to the head and report every
 * record that was changed, removed or moved. The walk reads the table in pages by seq, so
 * memory stays bounded however long the trail is.
 */
import type { Db } from '../../platform/db/database.js';
import type { AuditVerifyResponse, ChainProblemView } from '../../contract/audit.js';
import { readAuditHead, readAuditRange, type AuditHead } from './store.js';
import type { AuditRecord } from './model.js';
import { hashRecord } from './trail.js';

/** Records per page of the walk. */
const PAGE = 1000;

/**
 * Checks records fed to it in seq order against the chain they should form. Pure: the caller
 * reads the records. Each anomaly is reported once, at the first record that shows it.
 */
export class ChainVerifier {
  readonly problems: ChainProblemView[] = [];
  checked = 0;
  firstSeq: number | null = null;
  lastSeq: number | null = null;
  private previous: { seq: number; hash: string };

  constructor(private readonly head: AuditHead) {
    this.previous = { seq: head.prunedSeq, hash: head.prunedHash };
  }

  add(record: AuditRecord): void {
    const first = this.checked === 0;
    this.checked++;
    this.firstSeq ??= record.seq;
    this.lastSeq = record.seq;
    const expectedSeq = this.previous.seq + 1;
    if (hashRecord(record) !== record.hash) {
      this.report(record.seq, 'changed: the record does not match its hash');
    }
    if (record.seq !== expectedSeq) {
      this.report(
        record.seq,
        first
          ? `${missing(expectedSeq, record.seq - 1)} before the first record: deleted beyond the retention point ${this.previous.seq}`
          : `${missing(expectedSeq, record.seq - 1)}: deleted`,
      );
    } else if (record.prevHash !== this.previous.hash) {
      this.report(
        record.seq,
        first
          ? `does not chain from the retention point ${this.previous.seq}: the oldest records were replaced`
          : `does not chain from record ${this.previous.seq}: records were reordered or replaced`,
      );
    }
    this.previous = { seq: record.seq, hash: record.hash };
  }

  /** Compares the end of the walk with the head, and gives the verdict. */
  finish(): AuditVerifyResponse {
    const { seq, hash } = this.previous;
    if (seq < this.head.seq) {
      this.report(
        this.head.seq,
        `${missing(seq + 1, this.head.seq)} at the end: deleted (the head is ${this.head.seq})`,
      );
    } else if (hash !== this.head.hash) {
      this.report(seq, 'the newest record does not match the head: changed or replaced');
    }
    return {
      ok: this.problems.length === 0,
      checked: this.checked,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      headSeq: this.head.seq,
      headHash: this.head.hash,
      problems: this.problems,
    };
  }

  private report(seq: number, problem: string): void {
    this.problems.push({ seq, problem });
  }
}

function missing(from: number, through: number): string {
  return from === through ? `record ${from} is missing` : `records ${from}-${through} are missing`;
}

/**
 * Verifies the whole trail. Records appended during the walk are past the head read at its
 * start and are left for the next verification. When retention prunes during the walk, the
 * start moved under it; the walk is then repeated once from the new start.
 */
export async function verifyAuditTrail(db: Db, pageSize = PAGE): Promise<AuditVerifyResponse> {
  let result: AuditVerifyResponse | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const head = await readAuditHead(db);
    const verifier = new ChainVerifier(head);
    let after = head.prunedSeq;
    for (;;) {
      const page = await readAuditRange(db, { after, through: head.seq }, pageSize);
      for (const record of page) verifier.add(record);
      if (page.length < pageSize) break;
      after = page[page.length - 1]!.seq;
    }
    result = verifier.finish();
    if (result.ok || (await readAuditHead(db)).prunedSeq === head.prunedSeq) break;
  }
  return result!;
}
