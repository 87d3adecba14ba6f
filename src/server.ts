/**
 * `baton server`: starts Baton on a port. On the first start of an empty database it creates
 * the admin and applies the examples, so a new user can run something at once.
 */
import path from 'node:path';
import { createBaton, type Baton } from './app.js';
import { bootstrapAdmin } from './access/bootstrap.js';
import type { Principal } from './access/model.js';
import type { Config } from './platform/config.js';
import { readDocumentDirectory } from './platform/documents/files.js';
import type { Logger } from './platform/logging.js';
import { PACKAGE_ROOT } from './platform/version.js';

export interface StartedServer {
  baton: Baton;
  url: string;
  /** Set on the first start when the admin token was generated (shown once). */
  generatedAdminToken: string | undefined;
  /** Set on the first start when the admin password was generated (shown once). */
  generatedAdminPassword: string | undefined;
  examplesApplied: number;
}

/** Opens everything, bootstraps a new database, and listens. */
export async function startServer(config: Config, logger: Logger): Promise<StartedServer> {
  const baton = await createBaton(config, logger);
  try {
    const bootstrap = await bootstrapAdmin(baton.db, config.adminToken, {
      password: config.adminPassword,
      generate: true,
    });
    let examplesApplied = 0;
    if (bootstrap.created && config.applyExamples) {
      const admin: Principal = { kind: 'user', id: 0, name: 'admin', isAdmin: true, via: 'internal' };
      const files = await readDocumentDirectory(path.join(PACKAGE_ROOT, 'examples'), PACKAGE_ROOT);
      if (files.length > 0) examplesApplied = (await baton.apply.apply({ files }, admin)).length;
    }
    const url = await baton.http.listen({ host: config.host, port: config.port });
    logger.info(
      { url, database: baton.database.describe, worker: baton.worker?.name },
      'baton server started',
    );
    return {
      baton,
      url,
      generatedAdminToken: bootstrap.generatedToken,
      generatedAdminPassword: bootstrap.generatedPassword,
      examplesApplied,
    };
  } catch (error) {
    await baton.close();
    throw error;
  }
}
