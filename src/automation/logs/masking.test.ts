import { describe, expect, it } from 'vitest';
import { MASK, Masker } from './masking.js';

const SECRET = 'hunter2-sekret';

function masked(secrets: readonly string[], line: string | Buffer): string {
  const masker = Masker.forSecrets(secrets);
  if (!masker) throw new Error('expected a masker');
  const bytes = typeof line === 'string' ? Buffer.from(line) : line;
  return (masker.mask(bytes) ?? bytes).toString();
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

describe('Masker', () => {
  it('replaces a raw value wherever it occurs in a line', () => {
    const line = `login with ${SECRET} then ${SECRET}!`;
    expect(masked([SECRET], line)).toBe(`login with ${MASK} then ${MASK}!`);
  });

  it('leaves a line without any secret untouched and unchanged byte for byte', () => {
    const masker = Masker.forSecrets([SECRET])!;
    // Near misses: prefixes and suffixes of the value, its base64 cut short, invalid UTF-8.
    const line = Buffer.concat([
      Buffer.from('hunter2-sekre unter2-sekret aHVudGVy \x1b[31m'),
      Buffer.from([0xff, 0xfe, 0xc3]),
    ]);
    expect(masker.mask(line)).toBeUndefined();
    expect(masker.maskedRanges(line)).toEqual([]);
  });

  it('masks the standalone base64 of a value, padded or not, in both alphabets', () => {
    const secret = 'ab?>~~~x'; // encodes with + and / in the standard alphabet
    const standard = base64(secret);
    expect(standard).toBe('YWI/Pn5+fng=');
    const urlSafe = 'YWI_Pn5-fng';
    expect(masked([secret], `a=${standard} b=${standard.slice(0, -1)} c=${urlSafe}`)).toBe(
      `a=${MASK} b=${MASK} c=${MASK}`,
    );
  });

  it('masks the base64 of a value embedded in a longer text at each of the 3 byte offsets', () => {
    // Outside the mask stay only the characters that also encode the neighbouring bytes.
    const cases = [
      ['', 'aHVudGVyMi1zZWtyZXQ6eA==', '*****6eA=='],
      ['u', 'dWh1bnRlcjItc2VrcmV0Ong=', 'dW*****Ong='],
      ['us', 'dXNodW50ZXIyLXNla3JldDp4', 'dXN*****Dp4'],
      ['use', 'dXNlaHVudGVyMi1zZWtyZXQ6eA==', 'dXNl*****6eA=='],
    ];
    for (const [prefix, encoded, expected] of cases) {
      expect(base64(`${prefix}${SECRET}:x`)).toBe(encoded);
      expect(masked([SECRET], `Authorization: Basic ${encoded}`)).toBe(`Authorization: Basic ${expected}`);
    }
  });

  it('masks URL-encoded forms: encodeURIComponent, + for space, lowercase hex, form encoding', () => {
    const secret = 'p@ss w/rd!(x)';
    const forms = [
      'p%40ss%20w%2Frd!(x)',
      'p%40ss+w%2Frd!(x)',
      'p%40ss%20w%2frd!(x)',
      'p%40ss+w%2frd!(x)',
      'p%40ss+w%2Frd%21%28x%29',
    ];
    expect(forms[0]).toBe(encodeURIComponent(secret));
    expect(forms[4]).toBe(new URLSearchParams({ q: secret }).toString().slice(2));
    for (const form of forms) {
      expect(masked([secret], `GET /login?password=${form}&next=/`)).toBe(
        `GET /login?password=${MASK}&next=/`,
      );
    }
  });

  it('masks hex and JSON-escaped forms', () => {
    const secret = 'say "hi"\\now';
    const hex = Buffer.from(secret).toString('hex');
    const json = JSON.stringify({ token: secret });
    expect(json).toBe('{"token":"say \\"hi\\"\\\\now"}');
    expect(masked([secret], `${hex} ${hex.toUpperCase()} ${json}`)).toBe(
      `${MASK} ${MASK} {"token":"${MASK}"}`,
    );
  });

  it('masks each line of a multi-line value, but not its short structural lines', () => {
    const key = [
      '-----BEGIN PRIVATE KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      '  Xk2+fQ==',
      '}',
      '-----END PRIVATE KEY-----',
      '',
    ].join('\n');
    expect(masked([key], 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe(MASK);
    expect(masked([key], '    Xk2+fQ==')).toBe(`    ${MASK}`);
    expect(masked([key], '-----END PRIVATE KEY-----')).toBe(MASK);
    expect(masked([key], '} ==')).toBe('} ==');
    // Whole, the value can only be printed encoded: a JSON string holds it on one line.
    expect(masked([key], JSON.stringify({ key }))).toBe(`{"key":"${MASK}"}`);
    // The same key with CRLF line ends, printed with LF or CRLF.
    const crlf = key.replace(/\n/g, '\r\n');
    expect(masked([crlf], 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe(MASK);
    expect(masked([crlf], 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\r')).toBe(`${MASK}\r`);
  });

  it('hides two secrets where one contains the other, and overlapping secrets, under one mask', () => {
    expect(masked(['abc123', 'xxabc123yy'], 'a xxabc123yy b abc123 c')).toBe(`a ${MASK} b ${MASK} c`);
    expect(masked(['xxabc123yy', 'abc123'], 'xxabc123yy')).toBe(MASK);
    expect(masked(['abcd', 'cdef'], '<abcdef>')).toBe(`<${MASK}>`);
    expect(masked(['cdef', 'abcd'], '<abcdef> <cdefab>')).toBe(`<${MASK}> <${MASK}ab>`);
  });

  it('masks values from 3 bytes, and ignores shorter ones, which would hide common text', () => {
    expect(Masker.forSecrets(['ab', ' x ', ''])).toBeUndefined();
    expect(masked(['ab', 'abc'], 'ab abc abcd')).toBe(`ab ${MASK} ${MASK}d`);
    // A value with surrounding whitespace (read from a file) is masked without it as well.
    expect(masked(['tok3n-value\n'], 'token: tok3n-value')).toBe(`token: ${MASK}`);
  });

  it('works on bytes: multi-byte characters and invalid UTF-8 around a secret stay intact', () => {
    const secret = 'pässwört€';
    const line = Buffer.concat([
      Buffer.from('ä→'),
      Buffer.from([0xff]),
      Buffer.from(secret),
      Buffer.from([0xc3]),
      Buffer.from('€'),
    ]);
    const result = Masker.forSecrets([secret])!.mask(line)!;
    expect(result).toEqual(
      Buffer.concat([
        Buffer.from('ä→'),
        Buffer.from([0xff]),
        Buffer.from(MASK),
        Buffer.from([0xc3]),
        Buffer.from('€'),
      ]),
    );
    expect(masked([secret], `x=${encodeURIComponent(secret)}`)).toBe(`x=${MASK}`);
  });

  it('masks only the given range of a buffer', () => {
    const masker = Masker.forSecrets([SECRET])!;
    const buffer = Buffer.from(`${SECRET}|a ${SECRET} b|${SECRET}`);
    const start = SECRET.length + 1;
    const end = buffer.length - SECRET.length - 1;
    expect(masker.mask(buffer, start, end)!.toString()).toBe(`a ${MASK} b`);
    expect(masker.firstSecretAt(buffer, start, end)).toBe(start + 2);
    expect(masker.firstSecretAt(Buffer.from('nothing here'))).toBe(-1);
  });
});
