/**
 * Builds dist/ once before any test file runs: the CLI and process tests run Baton as users do,
 * through bin/baton.js, the browser tests load the built web UI, and parallel test files must not
 * each rebuild (and overwrite) it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const run = (script: string, args: string[], env: Record<string, string> = {}) =>
    execFileSync(process.execPath, [path.join(root, 'node_modules', script), ...args], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
  run('typescript/bin/tsc', ['-p', 'tsconfig.build.json']);
  // Vitest sets NODE_ENV=test, which would make Vite build React's development bundle: slower,
  // effects run twice, and not what `npm start` serves. The browser tests test the real thing.
  // Built beside dist/web and moved into place, so that a Baton already serving dist/web (a test
  // run next to another) never sees it half-written.
  const staging = path.join(root, 'dist', `web.building-${process.pid}`);
  run(
    'vite/bin/vite.js',
    ['build', '--config', 'web/vite.config.ts', '--logLevel', 'warn', '--outDir', staging],
    {
      NODE_ENV: 'production',
    },
  );
  const web = path.join(root, 'dist', 'web');
  const old = path.join(root, 'dist', `web.old-${process.pid}`);
  if (existsSync(web)) renameSync(web, old);
  renameSync(staging, web);
  rmSync(old, { recursive: true, force: true });
}
