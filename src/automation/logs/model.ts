/** Execution logs as readers see them: numbered, timestamped lines from a step's output or from Baton. */

export type LogStream = 'stdout' | 'stderr' | 'system';

/** One stored log line. n counts from 0 per execution, across all its steps. */
export interface LogLine {
  n: number;
  /** Epoch milliseconds of the read that completed the line. */
  t: number;
  s: LogStream;
  text: string;
}

/** What a writer numbered and what it threw away, for the execution row. */
export interface LogTotals {
  /** Lines numbered (the next line would get this n). */
  lines: number;
  /** Bytes of those lines as stored (as printed, secrets masked), one newline per line included. */
  bytes: number;
  /** Output received but not kept: past the cap, or lost when storing failed. */
  discardedBytes: number;
}
