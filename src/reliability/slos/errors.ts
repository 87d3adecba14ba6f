/**
 * The one error the SLO math raises: a value in an SLO (or in what the evaluator hands it) that
 * the formulas cannot use. It names the field as a path inside the SLO spec (`objectives[0].target`,
 * `timeWindow[0].calendar.timeZone`) and says what was expected, so the apply layer can turn it into
 * a file:line:column problem without parsing the message.
 */

export class SloSpecError extends Error {
  constructor(
    /** Path of the offending field inside the SLO spec, e.g. `objectives[1].timeSliceTarget`. */
    readonly field: string,
    /** What a valid value looks like, e.g. `a number in [0, 1)`. */
    readonly expected: string,
    /** What was there instead, already written for a person (`1.2`, `"5x"`). */
    readonly got: string,
  ) {
    super(`${field}: expected ${expected}, got ${got}`);
    this.name = 'SloSpecError';
  }
}

/** A value as a message shows it: strings quoted, everything else as JSON would write it. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}
