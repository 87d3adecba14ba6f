/**
 * Structured output: every step of an execution gets `BATON_OUTPUT`, the path of one file in the
 * execution's private work dir. A step writes a JSON object there; later steps see it and may
 * rewrite it (the file as it stands when the last step ends is the output: the last write wins).
 * Baton reads it once at the finish, masks secret values in it like the log, and stores it on
 * the execution, where rules on finished executions read it as `output.*`.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatPath } from '../../platform/documents/source.js';
import { findShapeFlaw } from '../../platform/json-shape.js';
import { Masker } from '../logs/masking.js';

/** Outputs are small facts for rules and people (a cause, a count), not data files. */
export const MAX_OUTPUT_BYTES = 64 * 1024;

/** What the finish stores: the masked JSON text, or why there is none. */
export interface ExecutionOutput {
  json: string | null;
  error: string | null;
}

/** The output file of an execution's work dir. */
export function outputFile(workDir: string): string {
  return path.join(workDir, 'baton-output.json');
}

/** Replaces secret values in every string of a JSON value (keys too). */
function maskValue(value: unknown, masker: Masker): unknown {
  const mask = (text: string) => masker.mask(Buffer.from(text, 'utf8'))?.toString('utf8') ?? text;
  if (typeof value === 'string') return mask(value);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, masker));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
        mask(key),
        maskValue(inner, masker),
      ]),
    );
  }
  return value;
}

/**
 * Reads an execution's output file: undefined when no step wrote one, otherwise the masked JSON
 * or the reason it was refused. Never throws: a bad output is a note on the execution, not a crash.
 */
export async function readExecutionOutput(
  file: string,
  secrets: readonly string[],
): Promise<ExecutionOutput | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return undefined;
    if (size > MAX_OUTPUT_BYTES) {
      return { json: null, error: `output is ${size} bytes, over the limit of ${MAX_OUTPUT_BYTES}` };
    }
    const text = (await handle.readFile()).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { json: null, error: `output is not valid JSON: ${(error as Error).message}` };
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { json: null, error: 'output must be a JSON object, such as {"cause": "disk_full"}' };
    }
    // 64 KiB of brackets nest 32,768 deep: refused before masking (and rules) recurse into it.
    const flaw = findShapeFlaw(value);
    if (flaw) {
      return { json: null, error: `output ${formatPath(flaw.path) || 'value'} ${flaw.message}` };
    }
    const masker = Masker.forSecrets(secrets);
    return { json: JSON.stringify(masker ? maskValue(value, masker) : value), error: null };
  } catch (error) {
    return { json: null, error: `output could not be read: ${(error as Error).message}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
