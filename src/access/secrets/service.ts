/**
 * Writing, listing, deleting secrets and rotating the master key. Values go in and never come
 * out of here: every answer is metadata, and only the worker (delivery.ts) ever decrypts.
 */
import type { AccessControl } from '../authorize.js';
import { auditActor, appendAudit } from '../audit/trail.js';
import { resources, type Principal } from '../model.js';
import type { Db } from '../../platform/db/database.js';
import { ConflictError, InputError, NotFoundError } from '../../platform/errors.js';
import { open, seal } from './crypto.js';
import { generateMasterKey, type Keyring } from './keyring.js';
import { checkSecretPath, MAX_VALUE_BYTES, type SecretMetadata } from './model.js';
import { deleteSecret, listSealedSecrets, listSecretMetadata, putSecret, resealSecret } from './store.js';

export interface RotationResult {
  /** The key that now seals every secret. */
  keyId: string;
  /** Secrets sealed again under it. */
  resealed: number;
  /** Secrets that were under it already. */
  unchanged: number;
}

export class SecretService {
  constructor(
    private readonly db: Db,
    private readonly access: AccessControl,
    private readonly keyring: Keyring,
  ) {}

  /** Creates or replaces a secret's value; the answer is its metadata. */
  async set(
    caller: Principal,
    path: string,
    input: { value: unknown; description?: unknown },
  ): Promise<SecretMetadata> {
    checkSecretPath(path);
    this.access.require(caller, 'edit', resources.secret(path));
    // Checked here rather than by the route schema: a schema error would describe the value.
    if (typeof input.value !== 'string') {
      throw new InputError('a secret value must be a string', [
        { path: 'body.value', message: 'is required and must be a string' },
      ]);
    }
    if (input.value.length === 0) {
      throw new InputError('a secret value must not be empty', [{ path: 'body.value', message: 'is empty' }]);
    }
    const bytes = Buffer.byteLength(input.value, 'utf8');
    if (bytes > MAX_VALUE_BYTES) {
      throw new InputError(`a secret value may hold at most ${MAX_VALUE_BYTES} bytes`, [
        { path: 'body.value', message: `is ${bytes} bytes`, expected: `at most ${MAX_VALUE_BYTES} bytes` },
      ]);
    }
    if (input.description !== undefined && typeof input.description !== 'string') {
      throw new InputError('a secret description must be a string', [
        { path: 'body.description', message: 'must be a string' },
      ]);
    }
    const key = this.keyring.current;
    const sealed = seal(key.key, input.value, path);
    return this.db.transaction().execute(async (trx) => {
      const metadata = await putSecret(trx, {
        path,
        keyId: key.id,
        sealed,
        description: input.description as string | undefined,
        actor: caller.name,
        now: Date.now(),
      });
      await appendAudit(trx, {
        ...auditActor(caller),
        action: 'secret.write',
        target: `secret/${path}`,
        summary: { version: metadata.version },
      });
      return metadata;
    });
  }

  /** The secrets the caller may view, without values. */
  async list(caller: Principal): Promise<SecretMetadata[]> {
    const secrets = await listSecretMetadata(this.db);
    return secrets.filter(
      (secret) => this.access.authorize(caller, 'view', resources.secret(secret.path)).allowed,
    );
  }

  /** Deletes a secret; jobs that use it fail their steps until it is set again. */
  async remove(caller: Principal, path: string): Promise<void> {
    checkSecretPath(path);
    this.access.require(caller, 'edit', resources.secret(path));
    await this.db.transaction().execute(async (trx) => {
      if (!(await deleteSecret(trx, path))) throw new NotFoundError(`secret ${path} not found`);
      await appendAudit(trx, { ...auditActor(caller), action: 'secret.delete', target: `secret/${path}` });
    });
  }

  /**
   * Seals every secret under the current master key. With a key file, first generates a new key
   * and makes it current (the old one stays in the file until every secret is resealed). With
   * BATON_MASTER_KEY, the operator has already set the new key, and the old one in
   * BATON_MASTER_KEY_PREVIOUS.
   */
  async rotateKey(caller: Principal): Promise<RotationResult> {
    this.access.require(caller, 'admin', resources.system);
    if (this.keyring.source.kind === 'file') await this.keyring.promote(generateMasterKey());
    const current = this.keyring.current;
    let resealed = 0;
    let unchanged = 0;
    // A value written with the old key while the first pass ran is caught by the next one.
    for (let pass = 0; pass < 3; pass++) {
      const counts = await this.db.transaction().execute(async (trx) => {
        let done = 0;
        let kept = 0;
        for (const secret of await listSealedSecrets(trx)) {
          if (secret.keyId === current.id) {
            kept++;
            continue;
          }
          const key = await this.keyring.find(secret.keyId);
          if (!key) {
            throw new ConflictError(
              `secret ${secret.path} is sealed with master key ${secret.keyId}, which this server does not hold; ` +
                'add that key to BATON_MASTER_KEY_PREVIOUS and rotate again (nothing was changed)',
            );
          }
          await resealSecret(
            trx,
            secret.path,
            current.id,
            seal(current.key, open(key.key, secret.sealed, secret.path), secret.path),
          );
          done++;
        }
        return { done, kept };
      });
      resealed += counts.done;
      if (pass === 0) unchanged = counts.kept;
      if (counts.done === 0) break;
    }
    await appendAudit(this.db, {
      ...auditActor(caller),
      action: 'secret.rotate-key',
      target: 'system',
      summary: { keyId: current.id, resealed, unchanged },
    });
    if (this.keyring.source.kind === 'file') await this.keyring.dropPrevious();
    return { keyId: current.id, resealed, unchanged };
  }
}
