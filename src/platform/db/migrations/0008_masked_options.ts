/**
 * Executions record which of their options show a secret the execution receives: those read
 * `*****` wherever the execution is shown, while its steps still get the value as given.
 */
import type { Kysely } from 'kysely';
import type { DialectCapabilities } from '../capabilities.js';

export async function up(db: Kysely<unknown>, caps: DialectCapabilities): Promise<void> {
  // A JSON array of option names; null when none (nearly every execution).
  await db.schema.alterTable('executions').addColumn('masked_options', caps.jsonType).execute();
}
