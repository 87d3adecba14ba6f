/**
 * Reading document files from disk, for `baton apply -f DIR` and the examples applied on first
 * start. Kept free of server imports so that the CLI stays quick to load.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SourceFile } from './source.js';

/** The YAML and JSON files under a directory, recursively, sorted by path, named relative to `relativeTo`. */
export async function readDocumentDirectory(dir: string, relativeTo = process.cwd()): Promise<SourceFile[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/i.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(
    files.map(async (file) => ({
      name: path.relative(relativeTo, file) || file,
      content: await fs.readFile(file, 'utf8'),
    })),
  );
}
