/**
 * Sealing secret values with AES-256-GCM. A sealed value is `nonce (12) | tag (16) | ciphertext`;
 * the nonce is random per seal, so sealing the same value twice gives different bytes. The
 * secret's path is authenticated data: a sealed value copied onto another path does not open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value did not open: wrong key, wrong path, or changed bytes. */
export class SealError extends Error {}

/** Encrypts `plaintext` under `key`, bound to `context` (the secret's path). */
export function seal(key: Uint8Array, plaintext: string, context: string): Buffer {
  if (key.length !== KEY_BYTES) throw new Error(`a master key has ${KEY_BYTES} bytes, not ${key.length}`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), ciphertext]);
}

/** Decrypts a sealed value; throws SealError when it was not sealed by `key` for `context`, or was changed. */
export function open(key: Uint8Array, sealed: Uint8Array, context: string): string {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new SealError('sealed value is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(NONCE_BYTES, NONCE_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw new SealError('sealed value does not open: wrong master key, or the stored bytes were changed', {
      cause: error,
    });
  }
}
