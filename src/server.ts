/**
 * `baton server`: starts Baton on a port. On the first start of an empty database it creates
 * the admin and applies the examples, so a new user can run something at once.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createBaton, type Baton } from './app.js';
import { bootstrapAdmin } from './access/bootstrap.js';
import type { Principal } from './access/model.js';
import type { Config } from './platform/config.js';
import type { SourceFile } from './platform/documents/source.js';
import type { Logger } from './platform/logging.js';
import { PACKAGE_ROOT } from './platform/version.js';

export interface StartedServer {
  baton: Baton;
  url: string;
  /** Set on the first start when the admin token was generated (shown once). */
  generatedAdminToken: string | undefined;
  examplesApplied: number;
}

/** Reads the YAML files of a directory, sorted, as apply sources. */
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

/** Opens everything, bootstraps a new database, and listens. */
export async function startServer(config: Config, logger: Logger): Promise<StartedServer> {
  const baton = await createBaton(config, logger);
  try {
    const bootstrap = await bootstrapAdmin(baton.db, config.adminToken);
    let examplesApplied = 0;
    if (bootstrap.created && config.applyExamples) {
      const admin: Principal = { kind: 'user', id: 0, name: 'admin', isAdmin: true };
      const files = await readDocumentDirectory(path.join(PACKAGE_ROOT, 'examples'), PACKAGE_ROOT);
      if (files.length > 0) examplesApplied = (await baton.apply.apply({ files }, admin)).length;
    }
    const url = await baton.http.listen({ host: config.host, port: config.port });
    logger.info(
      { url, database: baton.database.describe, worker: baton.worker?.name },
      'baton server started',
    );
    return { baton, url, generatedAdminToken: bootstrap.generatedToken, examplesApplied };
  } catch (error) {
    await baton.close();
    throw error;
  }
}
