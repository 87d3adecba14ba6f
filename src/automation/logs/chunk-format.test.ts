import { describe, expect, it } from 'vitest';
import { ChunkFrame, decodeChunk, encodeChunk, parseFrame, type RawLine } from './chunk-format.js';

const T0 = 1_700_000_000_000;

describe('chunk format', () => {
  it('round-trips ANSI escapes, tabs, carriage returns, empty lines and every stream', async () => {
    const lines: RawLine[] = [
      { t: T0, s: 'stdout', text: Buffer.from('\x1b[31mred\x1b[0m\tcol2\tcol3') },
      { t: T0, s: 'stderr', text: Buffer.from('progress 10%\rprogress 20%\r') },
      { t: T0 + 5, s: 'stdout', text: Buffer.alloc(0) },
      { t: T0 + 3, s: 'system', text: Buffer.from('[baton] step "deploy" started') },
      { t: T0 + 3, s: 'stdout', text: Buffer.from('naïve ✓ 日本') },
    ];
    const decoded = await decodeChunk(await encodeChunk(lines), 40);
    expect(decoded).toEqual(
      lines.map((line, i) => ({ n: 40 + i, t: line.t, s: line.s, text: line.text.toString('utf8') })),
    );
  });

  it('keeps every byte but newline, decoding invalid UTF-8 with replacement characters', async () => {
    const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a));
    const invalid = Buffer.from([0x66, 0xff, 0xfe, 0x6f, 0xc3]);
    const decoded = await decodeChunk(
      await encodeChunk([
        { t: T0, s: 'stdout', text: everyByte },
        { t: T0, s: 'stdout', text: invalid },
      ]),
      0,
    );
    expect(decoded[0]!.text).toBe(everyByte.toString('utf8'));
    expect(decoded[1]!.text).toBe('f\ufffd\ufffdo\ufffd');
  });

  it('decodes a sub-range with the right timestamps, and a large chunk through the threadpool', async () => {
    const lines: RawLine[] = Array.from({ length: 20_000 }, (_, i) => ({
      t: T0 + Math.floor(i / 7),
      s: i % 3 === 0 ? 'stderr' : 'stdout',
      text: Buffer.from(`line ${i} ${'x'.repeat(i % 50)}`),
    }));
    const data = await encodeChunk(lines);
    const all = await decodeChunk(data, 100);
    expect(all).toHaveLength(20_000);
    expect(all[19_999]).toEqual({
      n: 20_099,
      t: lines[19_999]!.t,
      s: 'stdout',
      text: lines[19_999]!.text.toString(),
    });
    const some = await decodeChunk(data, 100, 10_100, 10_103);
    expect(some.map((line) => [line.n, line.t, line.text])).toEqual(
      [10_000, 10_001, 10_002].map((i) => [100 + i, lines[i]!.t, lines[i]!.text.toString()]),
    );
  });

  it('frames a line straight from a slice of a larger buffer', () => {
    const frame = new ChunkFrame(1);
    const read = Buffer.from('first\nsecond\nthi');
    frame.append('stdout', T0, read, 0, 5);
    frame.append('stdout', T0, read, 6, 12);
    expect(frame.bytes().toString()).toBe(`o${T0}\tfirst\no\tsecond\n`);
    expect(parseFrame(frame.bytes(), 0, 1, Infinity)).toEqual([{ n: 1, t: T0, s: 'stdout', text: 'second' }]);
  });

  it('rejects a frame that is not one', () => {
    expect(() => parseFrame(Buffer.from('x\tbad\n'), 0, 0, Infinity)).toThrow(/corrupt log chunk/);
    expect(() => parseFrame(Buffer.from('o12'), 0, 0, Infinity)).toThrow(/corrupt log chunk/);
  });
});
