/**
 * What a log line shows on a terminal, as plain text: escape sequences (colours, cursor moves,
 * titles, hyperlinks) and control characters removed, and a carriage return letting the text
 * after it replace the text before it (progress bars redraw their line that way). Searching
 * matches this text, so a search for "error" finds `\e[31merror\e[0m` and a search for "31m"
 * does not. Pure and free of imports: the web UI's ANSI renderer uses the same escape grammar
 * and search pattern, so the page highlights exactly what the server matched.
 */

const ESC = 0x1b;
const BEL = 0x07;
const TAB = 0x09;
const CR = 0x0d;
const DEL = 0x7f;

/** True for characters a terminal does not print: C0 controls (but tab), DEL, and C1 controls. */
export function isControl(code: number): boolean {
  return (code < 0x20 && code !== TAB) || code === DEL || (code >= 0x80 && code <= 0x9f);
}

/**
 * The index just past the escape sequence that starts at `at` (where `text[at]` is ESC), after
 * ECMA-48: CSI `ESC [ params intermediates final`, string commands (OSC `ESC ]`, DCS `ESC P`,
 * SOS `ESC X`, PM `ESC ^`, APC `ESC _`) ended by BEL or `ESC \`, and two-or-more byte escapes
 * `ESC intermediates final`. An unterminated sequence runs to the end of the line.
 */
export function escapeEnd(text: string, at: number): number {
  const length = text.length;
  const introducer = text.charCodeAt(at + 1);
  if (Number.isNaN(introducer)) return at + 1;
  if (introducer === 0x5b) {
    // CSI: parameter bytes 0x30–0x3f, intermediate bytes 0x20–0x2f, one final byte 0x40–0x7e.
    let end = at + 2;
    while (end < length && inRange(text.charCodeAt(end), 0x30, 0x3f)) end++;
    while (end < length && inRange(text.charCodeAt(end), 0x20, 0x2f)) end++;
    return end < length && inRange(text.charCodeAt(end), 0x40, 0x7e) ? end + 1 : end;
  }
  if (
    introducer === 0x5d ||
    introducer === 0x50 ||
    introducer === 0x58 ||
    introducer === 0x5e ||
    introducer === 0x5f
  ) {
    for (let end = at + 2; end < length; end++) {
      const code = text.charCodeAt(end);
      if (code === BEL) return end + 1;
      if (code === ESC && text.charCodeAt(end + 1) === 0x5c) return end + 2;
    }
    return length;
  }
  if (inRange(introducer, 0x20, 0x2f)) {
    let end = at + 1;
    while (end < length && inRange(text.charCodeAt(end), 0x20, 0x2f)) end++;
    return end < length && inRange(text.charCodeAt(end), 0x30, 0x7e) ? end + 1 : end;
  }
  if (inRange(introducer, 0x30, 0x7e)) return at + 2;
  // ESC followed by something that cannot continue an escape: drop the ESC alone.
  return at + 1;
}

/** Any character `isControl` is true for; a native scan, much faster than a loop over char codes. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

/** True when the text holds an escape sequence or another control character. */
export function hasControl(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}

/** The text of a log line as a terminal would leave it on screen (see the module comment). */
export function visibleText(text: string): string {
  // Most lines are plain: searching a million of them must not walk each character in script.
  if (!hasControl(text)) return text;
  let shown = '';
  let segmentStart = 0;
  // A carriage return clears the line only once something is printed after it: `text\r` (a CRLF
  // line ending) or `text\r\e[0m` keep `text`.
  let returned = false;
  const append = (end: number) => {
    if (end <= segmentStart) return;
    if (returned) {
      shown = '';
      returned = false;
    }
    shown += text.slice(segmentStart, end);
  };
  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (!isControl(code)) {
      at++;
      continue;
    }
    append(at);
    if (code === ESC) at = escapeEnd(text, at);
    else {
      if (code === CR) returned = true;
      at++;
    }
    segmentStart = at;
  }
  append(text.length);
  return shown;
}

/**
 * The pattern a search for `query` uses: the query literally (no pattern syntax), ignoring case.
 * The `u` flag folds case without changing string lengths, so a match's range in the text is
 * also its range on the page. `global` gives a pattern for finding every match in a line.
 */
export function searchPattern(query: string, global = false): RegExp {
  return new RegExp(escapeRegExp(query), global ? 'giu' : 'iu');
}

/** `a.b*` → `a\.b\*`: the text as a literal inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function inRange(code: number, low: number, high: number): boolean {
  return code >= low && code <= high;
}
