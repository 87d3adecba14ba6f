import { describe, expect, it } from 'vitest';
import { formatDurationAsWritten, parseDuration } from '../contract/time.js';
import { formatBytes, parseBytes } from './bytes.js';

describe('durations and sizes as people write them', () => {
  it('parses compound durations and refuses anything else', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    for (const bad of ['', '5', '5 minutes', 'm5', '-1s']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('formats durations and sizes compactly', () => {
    expect(formatDurationAsWritten(250)).toBe('250ms');
    expect(formatDurationAsWritten(90_000)).toBe('1m30s');
    expect(parseBytes('100MB')).toBe(100 * 1024 * 1024);
    expect(parseBytes('12 lots')).toBeUndefined();
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB');
  });
});
