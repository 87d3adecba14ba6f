/** Sealing: values come back only with the same key, the same path, and unchanged bytes. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, seal, SealError } from './crypto.js';

const key = randomBytes(32);

describe('secret sealing (AES-256-GCM)', () => {
  it('opens what it sealed, and never stores the plaintext', () => {
    const value = 'hunter2 — päss wörd\nwith a newline';
    const sealed = seal(key, value, 'db/prod/password');
    expect(sealed.includes(Buffer.from(value))).toBe(false);
    expect(open(key, sealed, 'db/prod/password')).toBe(value);
  });

  it('gives different bytes each time (random nonce)', () => {
    expect(seal(key, 'same', 'p').equals(seal(key, 'same', 'p'))).toBe(false);
  });

  it('detects any changed byte', () => {
    const sealed = seal(key, 'a value worth protecting', 'p');
    for (const index of [0, 12, 20, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] = tampered[index]! ^ 0x01;
      expect(() => open(key, tampered, 'p')).toThrow(SealError);
    }
    expect(() => open(key, sealed.subarray(0, 10), 'p')).toThrow(SealError);
  });

  it('refuses a wrong key', () => {
    const sealed = seal(key, 'value', 'p');
    expect(() => open(randomBytes(32), sealed, 'p')).toThrow(/wrong master key/);
  });

  it('refuses a value copied onto another path', () => {
    const sealed = seal(key, 'value', 'db/prod/password');
    expect(() => open(key, sealed, 'db/dev/password')).toThrow(SealError);
  });
});
