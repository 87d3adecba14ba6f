/** Baton's version and install location, read once from its package.json. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from this module (src/ or dist/src/) to the directory of Baton's package.json. */
function findPackageRoot(): { root: string; version: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'baton') return { root: dir, version: manifest.version ?? '0.0.0' };
    } catch {
      // not here; look one level up
    }
    dir = path.dirname(dir);
  }
  return { root: process.cwd(), version: '0.0.0' };
}

const found = findPackageRoot();

export const VERSION = found.version;

/** The root of the installed package, where examples/ lives. */
export const PACKAGE_ROOT = found.root;
