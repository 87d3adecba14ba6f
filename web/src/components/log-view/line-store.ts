/**
 * The lines of one log the page holds: blocks of consecutive lines, filled by range requests and
 * by the live stream, of which only the most recently used are kept. A log of a million lines
 * never lives in the page whole; the view asks for what is on screen.
 */
import type { LogLine } from '../../api/executions';

/** Lines per block: one range request (the API allows up to 10,000), about 30–100 KB of JSON. */
export const BLOCK_LINES = 1000;
/** Blocks kept at most: 120,000 lines, a few tens of MB however long the log is. */
export const MAX_BLOCKS = 120;

interface Block {
  lines: (LogLine | undefined)[];
  /** Lines present. */
  count: number;
}

export class LogLineStore {
  /** In least-recently-used order: a Map iterates in insertion order, and a use re-inserts. */
  private readonly blocks = new Map<number, Block>();
  /** Lines the log has, as far as anyone told us. */
  total = 0;

  constructor(
    readonly blockLines = BLOCK_LINES,
    readonly maxBlocks = MAX_BLOCKS,
  ) {}

  /** Line `n`, if it is held. */
  line(n: number): LogLine | undefined {
    const block = this.blocks.get(Math.floor(n / this.blockLines));
    return block?.lines[n % this.blockLines];
  }

  /** Adds lines (from a range request or the stream); the log has at least up to the last of them. */
  add(lines: readonly LogLine[]): void {
    let block: Block | undefined;
    let index = -1;
    for (const line of lines) {
      const blockIndex = Math.floor(line.n / this.blockLines);
      if (blockIndex !== index) {
        index = blockIndex;
        block = this.blocks.get(index);
        if (!block) {
          block = { lines: [], count: 0 };
          this.blocks.set(index, block);
        }
      }
      const slot = line.n % this.blockLines;
      if (block!.lines[slot] === undefined) block!.count++;
      block!.lines[slot] = line;
      if (line.n >= this.total) this.total = line.n + 1;
    }
  }

  /** The log has at least `total` lines (from the execution's counts). */
  growTo(total: number): void {
    if (total > this.total) this.total = total;
  }

  /** Block `index` holds every line it can hold so far. */
  isComplete(index: number): boolean {
    const expected = Math.min(this.blockLines, this.total - index * this.blockLines);
    return expected <= 0 || (this.blocks.get(index)?.count ?? 0) >= expected;
  }

  /** Indexes of the blocks overlapping lines [from, to) that miss lines, nearest to line `center` first. */
  incompleteBlocks(from: number, to: number, center = from): number[] {
    const first = Math.max(0, Math.floor(from / this.blockLines));
    const last = Math.floor((Math.min(to, this.total) - 1) / this.blockLines);
    const found: number[] = [];
    for (let index = first; index <= last; index++) if (!this.isComplete(index)) found.push(index);
    const middle = Math.floor(center / this.blockLines);
    return found.sort((a, b) => Math.abs(a - middle) - Math.abs(b - middle));
  }

  /** Marks the blocks of lines [from, to) as just used, so they are the last to be dropped. */
  touch(from: number, to: number): void {
    const first = Math.max(0, Math.floor(from / this.blockLines));
    const last = Math.floor((to - 1) / this.blockLines);
    for (let index = first; index <= last; index++) {
      const block = this.blocks.get(index);
      if (!block) continue;
      this.blocks.delete(index);
      this.blocks.set(index, block);
    }
  }

  /** Drops the least recently used blocks beyond `maxBlocks`, never those `keep` names. */
  evict(keep: (index: number) => boolean = () => false): void {
    if (this.blocks.size <= this.maxBlocks) return;
    for (const index of this.blocks.keys()) {
      if (this.blocks.size <= this.maxBlocks) return;
      if (!keep(index)) this.blocks.delete(index);
    }
  }

  /** Blocks held (for tests and the bench). */
  get blockCount(): number {
    return this.blocks.size;
  }
}
