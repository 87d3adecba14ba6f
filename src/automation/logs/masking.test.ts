import { describe, expect, it } from 'vitest';
import { MASK, Masker } from './masking.js';
import { visibleText } from '../../contract/visible-text.js';

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

describe('Masker, forms found by what a line shows', () => {
  const wrapped = (text: string, width: number): string[] =>
    base64(text).match(new RegExp(`.{1,${width}}`, 'g'))!;

  it('hides every line of the base64 of a secret wrapped at any width from 3', () => {
    for (const width of [3, 5, 8, 13, 40]) {
      const lines = wrapped(SECRET, width);
      for (const line of lines.filter((piece) => piece.length >= 3)) {
        expect(masked([SECRET], line), `width ${width}: ${line}`).toBe(MASK);
        expect(masked([SECRET], `  ${line}\r`)).toBe(`  ${MASK}\r`);
      }
    }
    // Embedded (`u:secret`, at byte offset 2) and wrapped at 4: characters 3 to 21 encode the
    // secret alone, so lines 1 to 4 (characters 4 to 19) are pieces of it.
    const embedded = wrapped(`u:${SECRET}:xyzxyz`, 4).slice(1, 5);
    for (const line of embedded) expect(masked([SECRET], line), line).toBe(MASK);
    // URL-safe alphabet, and hex as `xxd -p` wraps it.
    const secret = 'ab?>~~~x-and-more';
    const urlSafe = Buffer.from(secret).toString('base64url');
    expect(masked([secret], urlSafe.slice(5, 12))).toBe(MASK);
    const hex = Buffer.from(secret).toString('hex');
    expect(masked([secret], hex.slice(6, 14))).toBe(MASK);
  });

  it('leaves alone short lines, other words alone on a line, and pieces inside longer lines', () => {
    const masker = Masker.forSecrets([SECRET])!;
    const piece = wrapped(SECRET, 8)[1]!;
    for (const line of ['Done', 'Compiling', 'OK', '200', `x ${piece}`, base64('something else')]) {
      expect(masker.mask(Buffer.from(line)), line).toBeUndefined();
    }
    // A hex piece of fewer than 8 characters is too common to hide (status codes, counters).
    expect(masker.mask(Buffer.from(Buffer.from(SECRET).toString('hex').slice(0, 6)))).toBeUndefined();
  });

  it('hides a secret with escape sequences or control characters inside it, escapes and all', () => {
    // A colour reset, a hyperlink, a charset switch with a backspace, a C1 control (NEL).
    const printed = [
      'sec\x1b[0mret-value',
      'hunter2\x1b]8;;http://x\x07-sekret',
      'hun\x1b(Bter2-se\x08kret',
      'hunter\u00852-sekret',
    ];
    for (const line of printed) {
      // eslint-disable-next-line no-control-regex -- the escapes printed inside the secret
      const secret = line.replace(/\x1b\[0m|\x1b\]8;;http:\/\/x\x07|\x1b\(B|\x08|\u0085/g, '');
      expect(masked([secret], `a \x1b[1m${line}\x1b[0m b`)).toBe(`a \x1b[1m${MASK}\x1b[0m b`);
    }
    // A line with escapes but no secret is kept byte for byte.
    expect(Masker.forSecrets([SECRET])!.mask(Buffer.from('\x1b[31msec\x1b[0mret'))).toBeUndefined();
  });

  it('removes exactly what the page hides: the masker strips as visibleText does', () => {
    const secret = 'visible-secret';
    const pieces = [
      '\x1b[0m',
      '\x1b[38;5;1m',
      '\x1b]0;title\x07',
      '\x1b]8;;u\x1b\\',
      '\x1bP1$r\x1b\\',
      '\x1b(B',
      '\x1b7',
      '\x1b',
      '\x07',
      '\x7f',
      '\u009b',
      '\t',
      '\x1b[',
      '\x1b[1;',
    ];
    for (const piece of pieces) {
      for (const at of [1, 7, 13]) {
        const line = `${secret.slice(0, at)}${piece}${secret.slice(at)}`;
        const shows = visibleText(line).includes(secret);
        expect(masked([secret], line) === MASK || !shows, JSON.stringify(line)).toBe(true);
      }
    }
  });

  it('masks the ASCII-only JSON escaping of a non-ASCII secret (json.dumps), either hex case, and \\/', () => {
    const secret = 'pässwört/€😀';
    const lower = 'p\\u00e4ssw\\u00f6rt/\\u20ac\\ud83d\\ude00';
    for (const form of [
      lower,
      lower.toUpperCase().replace(/\\U/g, '\\u').replace('P', 'p').replace('SSW', 'ssw').replace('RT', 'rt'),
      lower.replace('/', '\\/'),
    ]) {
      expect(masked([secret], `{"password": "${form}"}`), form).toBe(`{"password": "${MASK}"}`);
    }
  });
});
