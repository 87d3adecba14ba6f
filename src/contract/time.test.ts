import { describe, expect, it } from 'vitest';
import {
  formatDurationAsWritten,
  formatDurationForCli,
  formatDurationForUi,
  isDuration,
  MAX_DURATION_MS,
  parseDuration,
} from './time.js';

describe('the one duration grammar', () => {
  it('accepts units alone and compounded, with decimals and surrounding blanks', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(' 2h ')).toBe(7_200_000);
    expect(parseDuration('1d2h3m4s5ms')).toBe(86_400_000 + 7_200_000 + 180_000 + 4000 + 5);
    for (const text of ['30m', '12h', '7d', '1h30m', ' 24h ']) expect(isDuration(text)).toBe(true);
  });

  it('refuses everything else, in both its forms', () => {
    for (const bad of [
      '',
      '5',
      '5 minutes',
      'm5',
      '-1s',
      '1h 30m',
      '1.s',
      '.5s',
      '1w',
      '1H',
      '2025-03-14',
      'ms',
    ]) {
      expect(parseDuration(bad)).toBeUndefined();
      expect(isDuration(bad)).toBe(false);
    }
  });

  it('keeps the ten-year ceiling written the way messages print it', () => {
    expect(formatDurationAsWritten(MAX_DURATION_MS)).toBe('3650d');
    expect(parseDuration(formatDurationAsWritten(MAX_DURATION_MS))).toBe(MAX_DURATION_MS);
  });
});

describe('a duration for each audience', () => {
  it('writes documents and messages in the grammar, so the text parses back', () => {
    expect(formatDurationAsWritten(250)).toBe('250ms');
    expect(formatDurationAsWritten(0)).toBe('0ms');
    expect(formatDurationAsWritten(1000)).toBe('1s');
    expect(formatDurationAsWritten(90_000)).toBe('1m30s');
    expect(formatDurationAsWritten(3_600_000)).toBe('1h');
    expect(formatDurationAsWritten(93_784_000)).toBe('1d2h3m4s');
    for (const ms of [250, 1000, 90_000, 3_600_000, 93_784_000])
      expect(parseDuration(formatDurationAsWritten(ms))).toBe(ms);
  });

  it('writes terminal cells in at most two units, the second zero-padded', () => {
    expect(formatDurationForCli(850)).toBe('850ms');
    expect(formatDurationForCli(-5)).toBe('0ms');
    expect(formatDurationForCli(1234)).toBe('1.2s');
    expect(formatDurationForCli(12_345)).toBe('12s');
    expect(formatDurationForCli(184_000)).toBe('3m04s');
    expect(formatDurationForCli(3_720_000)).toBe('1h02m');
    expect(formatDurationForCli(2 * 86_400_000 + 5 * 3_600_000)).toBe('2d05h');
  });

  it('writes the page in spaced units a person would say, and a dash for nothing', () => {
    expect(formatDurationForUi(850)).toBe('850 ms');
    expect(formatDurationForUi(1234)).toBe('1.23 s');
    expect(formatDurationForUi(12_345)).toBe('12.3 s');
    expect(formatDurationForUi(245_000)).toBe('4 min 05 s');
    expect(formatDurationForUi(7_800_000)).toBe('2 h 10 min');
    expect(formatDurationForUi(null)).toBe('—');
    expect(formatDurationForUi(undefined)).toBe('—');
    expect(formatDurationForUi(Number.NaN)).toBe('—');
  });
});
