/** Password hashing: the stored form, its parameters, and verification. */
import { describe, expect, it } from 'vitest';
import { checkPasswordStrength, DEFAULT_PARAMETERS, hashPassword, verifyPassword } from './passwords.js';
import { lockDuration } from './throttle.js';
import { csrfRefusal, readCookie, serializeCookie } from './sessions.js';

describe('passwords', () => {
  it('stores scrypt with N=2^15, r=8, p=1, a 16-byte salt and a 32-byte key, never the password', async () => {
    const stored = await hashPassword('correct horse battery');
    const [scheme, n, r, p, salt, key] = stored.split('$');
    expect([scheme, Number(n), Number(r), Number(p)]).toEqual(['scrypt', 2 ** 15, 8, 1]);
    expect(DEFAULT_PARAMETERS).toEqual({ N: 2 ** 15, r: 8, p: 1 });
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
    expect(stored).not.toContain('correct horse');
    // A fresh salt each time: equal passwords do not give equal hashes.
    expect(await hashPassword('correct horse battery')).not.toBe(stored);
  });

  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('reads the parameters from the stored hash, so they can change later', async () => {
    const cheap = await hashPassword('correct horse battery', { N: 2 ** 10, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('correct horse battery', cheap)).toBe(true);
  });

  it('refuses without a usable stored hash (unknown user, no password, garbage)', async () => {
    expect(await verifyPassword('anything at all', null)).toBe(false);
    expect(await verifyPassword('anything at all', 'plain-text')).toBe(false);
    // Parameters that would exhaust memory are not even tried.
    expect(await verifyPassword('anything at all', 'scrypt$1073741824$8$1$AAAA$AAAA')).toBe(false);
  });

  it('requires at least 12 characters and names the field', () => {
    expect(() => checkPasswordStrength('short', 'body.password')).toThrow(
      /body\.password: must be at least 12/,
    );
    expect(() => checkPasswordStrength('twelve chars')).not.toThrow();
  });
});

describe('throttle', () => {
  it('locks for a minute at the limit, doubling to at most an hour', () => {
    expect(lockDuration(4, 5)).toBe(0);
    expect(lockDuration(5, 5)).toBe(60_000);
    expect(lockDuration(6, 5)).toBe(120_000);
    expect(lockDuration(11, 5)).toBe(3_600_000);
    expect(lockDuration(1000, 5)).toBe(3_600_000);
  });
});

describe('session cookies and CSRF', () => {
  it('serializes HttpOnly, SameSite=Lax cookies, Secure when asked', () => {
    expect(serializeCookie('baton_session', 'abc', { secure: false, maxAge: 60 })).toBe(
      'baton_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax',
    );
    expect(serializeCookie('baton_session', 'abc', { secure: true, maxAge: 60 })).toMatch(/; Secure$/);
  });

  it('reads one cookie among several', () => {
    expect(readCookie('a=1; baton_session=xyz; b=2', 'baton_session')).toBe('xyz');
    expect(readCookie('a=1', 'baton_session')).toBeUndefined();
    expect(readCookie(undefined, 'baton_session')).toBeUndefined();
  });

  it('asks nothing of reads, and token and origin of everything else', () => {
    const token = 't'.repeat(43);
    const request = (method: string, headers: Record<string, string>) =>
      csrfRefusal({ method, headers }, token);
    expect(request('GET', { host: 'baton.example' })).toBeUndefined();
    expect(request('POST', { host: 'baton.example' })).toMatch(/X-CSRF-Token/);
    expect(request('POST', { host: 'baton.example', 'x-csrf-token': token })).toBeUndefined();
    expect(
      request('DELETE', { host: 'baton.example', 'x-csrf-token': token, origin: 'https://baton.example' }),
    ).toBeUndefined();
    expect(request('POST', { host: 'baton.example', 'x-csrf-token': token, origin: 'null' })).toMatch(
      /Origin/,
    );
    expect(
      request('POST', { host: 'baton.example', 'x-csrf-token': token, origin: 'https://baton.example.evil' }),
    ).toMatch(/Origin/);
  });
});
