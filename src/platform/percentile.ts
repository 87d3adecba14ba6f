/**
 * Nearest-rank percentiles: each answer is one of the measured values (the run time of a real
 * run), never an interpolation between two. Pure, shared by the job catalog and usage statistics.
 */

/** The nearest-rank percentile (0 < p ≤ 100) of ascending-sorted values; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]!;
}
