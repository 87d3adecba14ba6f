/**
 * ANSI colours in log lines, turned into spans the page can render safely: SGR sequences
 * (`ESC [ … m`) set colours and bold/dim/italic/underline/inverse/strike, every other escape
 * sequence and control character is dropped, and a carriage return lets what follows replace
 * what came before (as a terminal redraws a progress bar). The text shown is exactly
 * `visibleText()` of the server's log search, so highlighted matches are the matches it found.
 *
 * Each line is parsed on its own, starting from the default style: the log view draws lines in
 * any order as they scroll by, so a colour left open at the end of one line does not carry into
 * the next (most tools reset at the end of a line anyway).
 *
 * The 16 basic colours become classes (`ansi-fg-1`, `ansi-bg-9`) whose colours the stylesheet
 * picks for each theme; the 256-colour cube and 24-bit colours become a `style` colour, which
 * React sets through the DOM (allowed by the page's `style-src 'self'`), never as markup.
 */
import { escapeEnd, hasControl, isControl } from '../../../../src/contract/visible-text.js';

/** A run of text in one style. */
export interface AnsiSpan {
  text: string;
  /** Space-separated classes: `ansi-fg-N`, `ansi-bg-N`, `ansi-bold`, …; empty for plain text. */
  className: string;
  /** Colours outside the 16-colour palette, as CSS colours. */
  color?: string;
  backgroundColor?: string;
}

/** A colour: an index into the 256-colour palette, or an `rgb(…)` CSS colour. */
type Colour = number | string;

interface Style {
  fg: Colour | undefined;
  bg: Colour | undefined;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  inverse: boolean;
  strike: boolean;
}

const ESC = 0x1b;
const CR = 0x0d;
const LETTER_M = 0x6d;

const plainStyle = (): Style => ({
  fg: undefined,
  bg: undefined,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  inverse: false,
  strike: false,
});

/** Splits a log line into styled spans; see the module comment. */
export function parseAnsi(text: string): AnsiSpan[] {
  // Most lines have no escape or control character at all: one plain span, no work.
  if (!hasControl(text)) return text === '' ? [] : [{ text, className: '' }];
  let spans: AnsiSpan[] = [];
  let style = plainStyle();
  let styled = { className: '' } as Omit<AnsiSpan, 'text'>;
  let returned = false;
  let segmentStart = 0;

  const emit = (end: number) => {
    if (end <= segmentStart) return;
    if (returned) {
      spans = [];
      returned = false;
    }
    const piece = text.slice(segmentStart, end);
    const last = spans[spans.length - 1];
    if (last && sameLook(last, styled)) last.text += piece;
    else spans.push({ text: piece, ...styled });
  };

  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (!isControl(code)) {
      at++;
      continue;
    }
    emit(at);
    if (code === ESC) {
      const end = escapeEnd(text, at);
      // A complete CSI sequence ending in `m` is SGR; `ESC [ ? … m` and the like are private modes.
      if (text.charCodeAt(at + 1) === 0x5b && end - 1 > at + 1 && text.charCodeAt(end - 1) === LETTER_M) {
        const parameters = text.slice(at + 2, end - 1);
        if (!/^[<=>?]/.test(parameters)) {
          style = applySgr(style, parameters);
          styled = lookOf(style);
        }
      }
      at = end;
    } else {
      if (code === CR) returned = true;
      at++;
    }
    segmentStart = at;
  }
  emit(text.length);
  return spans;
}

/** The text the spans show, for searching and measuring. */
export function spanText(spans: readonly AnsiSpan[]): string {
  return spans.map((span) => span.text).join('');
}

function sameLook(a: Omit<AnsiSpan, 'text'>, b: Omit<AnsiSpan, 'text'>): boolean {
  return a.className === b.className && a.color === b.color && a.backgroundColor === b.backgroundColor;
}

/** Applies one SGR parameter string (`1;31`, `38;5;208`, `38:2::255:0:0`, or empty for reset). */
function applySgr(previous: Style, parameters: string): Style {
  const style = { ...previous };
  const codes = parameters === '' ? [''] : parameters.split(';');
  for (let index = 0; index < codes.length; index++) {
    const code = codes[index]!;
    // Colon sub-parameters (ITU T.416) keep an extended colour inside one parameter.
    if (code.includes(':')) {
      const parts = code.split(':');
      const head = Number(parts[0]);
      if (head === 38 || head === 48) {
        const colour = extendedColour(parts.slice(1), true);
        if (colour !== null) setColour(style, head, colour);
      } else if (head === 4) style.underline = parts[1] !== '0';
      continue;
    }
    const number = code === '' ? 0 : Number(code);
    if (number === 38 || number === 48) {
      const rest = codes.slice(index + 1);
      const colour = extendedColour(rest, false);
      // Skip the parameters the colour used: `5;n` or `2;r;g;b`.
      index += rest[0] === '5' ? 2 : rest[0] === '2' ? 4 : 0;
      if (colour !== null) setColour(style, number, colour);
      continue;
    }
    applyCode(style, number);
  }
  return style;
}

function applyCode(style: Style, code: number): void {
  if (code === 0) Object.assign(style, plainStyle());
  else if (code === 1) style.bold = true;
  else if (code === 2) style.dim = true;
  else if (code === 3) style.italic = true;
  else if (code === 4 || code === 21) style.underline = true;
  else if (code === 7) style.inverse = true;
  else if (code === 9) style.strike = true;
  else if (code === 22) style.bold = style.dim = false;
  else if (code === 23) style.italic = false;
  else if (code === 24) style.underline = false;
  else if (code === 27) style.inverse = false;
  else if (code === 29) style.strike = false;
  else if (code >= 30 && code <= 37) style.fg = code - 30;
  else if (code === 39) style.fg = undefined;
  else if (code >= 40 && code <= 47) style.bg = code - 40;
  else if (code === 49) style.bg = undefined;
  else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
  else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
  // Anything else (blink, fonts, overline, …) changes nothing a log reader needs.
}

function setColour(style: Style, which: number, colour: Colour): void {
  if (which === 38) style.fg = colour;
  else style.bg = colour;
}

/**
 * The colour of `5;n` or `2;r;g;b` (with colons, `2` may be followed by an empty colour-space
 * id: `2::r:g:b`). Null when it is malformed or out of range.
 */
function extendedColour(parts: readonly string[], colons: boolean): Colour | null {
  const valid = (value: number, max: number) => Number.isInteger(value) && value >= 0 && value <= max;
  if (parts[0] === '5') {
    const index = Number(parts[1]);
    return parts[1] !== undefined && parts[1] !== '' && valid(index, 255) ? index : null;
  }
  if (parts[0] === '2') {
    const channels = colons && parts.length >= 5 ? parts.slice(2, 5) : parts.slice(1, 4);
    if (channels.length < 3 || channels.some((part) => part === '')) return null;
    const [r, g, b] = channels.map(Number) as [number, number, number];
    return valid(r, 255) && valid(g, 255) && valid(b, 255) ? `rgb(${r}, ${g}, ${b})` : null;
  }
  return null;
}

/** The CSS colour of a 256-colour palette index from 16 up: the 6×6×6 cube, then 24 greys. */
export function paletteColour(index: number): string {
  if (index >= 232) {
    const grey = 8 + (index - 232) * 10;
    return `rgb(${grey}, ${grey}, ${grey})`;
  }
  const cube = index - 16;
  const level = (step: number) => (step === 0 ? 0 : 55 + step * 40);
  return `rgb(${level(Math.floor(cube / 36))}, ${level(Math.floor(cube / 6) % 6)}, ${level(cube % 6)})`;
}

/** Class names and inline colours for a style; inverse swaps the two colours. */
function lookOf(style: Style): Omit<AnsiSpan, 'text'> {
  const classes: string[] = [];
  const look: Omit<AnsiSpan, 'text'> = { className: '' };
  let fg: Colour | 'background' | undefined = style.fg;
  let bg: Colour | 'text' | undefined = style.bg;
  if (style.inverse) {
    fg = style.bg ?? 'background';
    bg = style.fg ?? 'text';
  }
  if (fg === 'background') classes.push('ansi-fg-inverse');
  else if (typeof fg === 'number' && fg < 16) classes.push(`ansi-fg-${fg}`);
  else if (fg !== undefined) look.color = typeof fg === 'number' ? paletteColour(fg) : fg;
  if (bg === 'text') classes.push('ansi-bg-inverse');
  else if (typeof bg === 'number' && bg < 16) classes.push(`ansi-bg-${bg}`);
  else if (bg !== undefined) look.backgroundColor = typeof bg === 'number' ? paletteColour(bg) : bg;
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  if (style.strike) classes.push('ansi-strike');
  look.className = classes.join(' ');
  return look;
}
