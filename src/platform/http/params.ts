/**
 * Path parameters shared by every route that names a stored record by its number. One strict
 * grammar, so that `/executions/0x10`, `/executions/1e1` or `/executions/ 16` never quietly mean
 * execution 16 (what `z.coerce.number` accepted): a malformed id is a 400 naming the parameter.
 */
import { z } from 'zod';

/** Decimal, no sign, no leading zero, no exponent; 16 digits at most, then checked against 2^53. */
const DECIMAL_ID = /^[1-9][0-9]{0,15}$/;

/** A record id as written in a path: strict decimal within a safe integer. */
export const recordId = z
  .string()
  .regex(DECIMAL_ID, 'must be a decimal id such as 42 (digits only, no leading zero)')
  .transform(Number)
  .refine(Number.isSafeInteger, `must be at most ${Number.MAX_SAFE_INTEGER}`);

/** `{ id }` path parameters. */
export const idParams = z.object({ id: recordId });
