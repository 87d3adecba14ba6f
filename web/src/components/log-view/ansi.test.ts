import { describe, expect, it } from 'vitest';
import { visibleText } from '../../../../src/contract/visible-text.js';
import { paletteColour, parseAnsi, spanText } from './ansi';

const ESC = '\u001b';

describe('parseAnsi', () => {
  it('gives plain text as one unstyled span, and nothing for an empty line', () => {
    expect(parseAnsi('hello world')).toEqual([{ text: 'hello world', className: '' }]);
    expect(parseAnsi('')).toEqual([]);
  });

  it('colours text with the 8 basic and 8 bright colours, foreground and background', () => {
    expect(parseAnsi(`${ESC}[31mred${ESC}[0m plain`)).toEqual([
      { text: 'red', className: 'ansi-fg-1' },
      { text: ' plain', className: '' },
    ]);
    expect(parseAnsi(`${ESC}[97;104mbright${ESC}[39;49m`)).toEqual([
      { text: 'bright', className: 'ansi-fg-15 ansi-bg-12' },
    ]);
    expect(parseAnsi(`${ESC}[37;40mx${ESC}[90;100my`)).toEqual([
      { text: 'x', className: 'ansi-fg-7 ansi-bg-0' },
      { text: 'y', className: 'ansi-fg-8 ansi-bg-8' },
    ]);
  });

  it('keeps a colour until it is reset or replaced', () => {
    expect(parseAnsi(`${ESC}[32mgreen${ESC}[1m bold green${ESC}[22m green${ESC}[39m plain`)).toEqual([
      { text: 'green', className: 'ansi-fg-2' },
      { text: ' bold green', className: 'ansi-fg-2 ansi-bold' },
      { text: ' green', className: 'ansi-fg-2' },
      { text: ' plain', className: '' },
    ]);
    // An empty parameter list is a reset, as is `ESC[m`.
    expect(parseAnsi(`${ESC}[4;31mx${ESC}[my`)).toEqual([
      { text: 'x', className: 'ansi-fg-1 ansi-underline' },
      { text: 'y', className: '' },
    ]);
  });

  it('renders bold, dim, italic, underline and strike, and turns each off on its own', () => {
    expect(parseAnsi(`${ESC}[1;2;3;4;9mall${ESC}[23;24;29mboth${ESC}[22mnone`)).toEqual([
      { text: 'all', className: 'ansi-bold ansi-dim ansi-italic ansi-underline ansi-strike' },
      { text: 'both', className: 'ansi-bold ansi-dim' },
      { text: 'none', className: '' },
    ]);
  });

  it('uses the 256-colour palette and 24-bit colours as inline colours', () => {
    expect(parseAnsi(`${ESC}[38;5;1mbasic${ESC}[38;5;208morange${ESC}[48;5;232mgrey`)).toEqual([
      { text: 'basic', className: 'ansi-fg-1' },
      { text: 'orange', className: '', color: 'rgb(255, 135, 0)' },
      { text: 'grey', className: '', color: 'rgb(255, 135, 0)', backgroundColor: 'rgb(8, 8, 8)' },
    ]);
    expect(parseAnsi(`${ESC}[38;2;10;20;30;1mtrue${ESC}[0m`)).toEqual([
      { text: 'true', className: 'ansi-bold', color: 'rgb(10, 20, 30)' },
    ]);
    // The colon form, with and without the colour-space id.
    expect(parseAnsi(`${ESC}[38:2::1:2:3ma${ESC}[48:2:4:5:6mb${ESC}[38:5:9mc`)).toEqual([
      { text: 'a', className: '', color: 'rgb(1, 2, 3)' },
      { text: 'b', className: '', color: 'rgb(1, 2, 3)', backgroundColor: 'rgb(4, 5, 6)' },
      { text: 'c', className: 'ansi-fg-9', backgroundColor: 'rgb(4, 5, 6)' },
    ]);
  });

  it('ignores malformed extended colours without losing the parameters after them', () => {
    expect(parseAnsi(`${ESC}[38;5;300;1mx`)).toEqual([{ text: 'x', className: 'ansi-bold' }]);
    expect(parseAnsi(`${ESC}[38;2;1;2mx`)).toEqual([{ text: 'x', className: '' }]);
  });

  it('swaps colours for inverse video, using the log colours when none is set', () => {
    expect(parseAnsi(`${ESC}[7mplain${ESC}[31mred${ESC}[27mback`)).toEqual([
      { text: 'plain', className: 'ansi-fg-inverse ansi-bg-inverse' },
      { text: 'red', className: 'ansi-fg-inverse ansi-bg-1' },
      { text: 'back', className: 'ansi-fg-1' },
    ]);
  });

  it('drops other escape sequences and control characters, never showing them as text', () => {
    expect(parseAnsi(`${ESC}[2K${ESC}[1G${ESC}[?25lok${ESC}]0;title${ESC}\\ done\u0007`)).toEqual([
      { text: 'ok done', className: '' },
    ]);
    expect(
      parseAnsi(`${ESC}]8;;https://example.com${ESC}\\${ESC}[34mlink${ESC}]8;;${ESC}\\${ESC}[0m`),
    ).toEqual([{ text: 'link', className: 'ansi-fg-4' }]);
    // A private-mode sequence that happens to end in m is not a colour.
    expect(parseAnsi(`${ESC}[>4;2mtext`)).toEqual([{ text: 'text', className: '' }]);
  });

  it('shows what follows the last carriage return, as a terminal does for progress bars', () => {
    expect(parseAnsi(`${ESC}[33m 10%\r 50%\r${ESC}[32m100%`)).toEqual([
      { text: '100%', className: 'ansi-fg-2' },
    ]);
    expect(parseAnsi('done\r')).toEqual([{ text: 'done', className: '' }]);
  });

  it('copes with a sequence cut off at the end of the line', () => {
    expect(parseAnsi(`text${ESC}[31`)).toEqual([{ text: 'text', className: '' }]);
    expect(parseAnsi(`text${ESC}`)).toEqual([{ text: 'text', className: '' }]);
  });

  it('shows exactly the text the server searches', () => {
    const lines = [
      'plain',
      `${ESC}[1;31mERROR${ESC}[0m: disk ${ESC}[4mfull${ESC}[24m`,
      `a\tb\u0000c\u0008d\u007fe`,
      `${ESC}]0;title\u0007after ${ESC}(Bcharset ${ESC}7x${ESC}8`,
      `10%\r${ESC}[0m50%\r`,
      `kept\r${ESC}[0m`,
      `cut ${ESC}]8;;unterminated`,
      `${ESC}[38;2;1;2;3mrgb${ESC}[48;5;100mpal${ESC}[0m`,
      'Größe ✓ 完了 \u009b31m',
    ];
    for (const line of lines) expect(spanText(parseAnsi(line)), JSON.stringify(line)).toBe(visibleText(line));
  });
});

describe('paletteColour', () => {
  it('maps the 6×6×6 cube and the grey ramp of the 256-colour palette', () => {
    expect(paletteColour(16)).toBe('rgb(0, 0, 0)');
    expect(paletteColour(196)).toBe('rgb(255, 0, 0)');
    expect(paletteColour(231)).toBe('rgb(255, 255, 255)');
    expect(paletteColour(67)).toBe('rgb(95, 135, 175)');
    expect(paletteColour(255)).toBe('rgb(238, 238, 238)');
  });
});
