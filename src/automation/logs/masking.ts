/**
 * Hiding secret values in execution logs: every form in which a step may print a secret (raw,
 * base64, URL-encoded, hex, JSON-escaped) is replaced by `*****` before a line is stored or shown
 * to a follower.
 *
 * Lines are matched as bytes: a line's bytes are read as a latin1 string (one character per
 * byte), so match positions are byte offsets, invalid UTF-8 passes through untouched, and the
 * bytes around a mask are the child's own. Patterns are the UTF-8 bytes of each form, read the
 * same way. A log line never contains `\n`, and no pattern does either (a multi-line value is
 * matched line by line, see `rawForms`).
 *
 * One regular expression of all patterns, their common prefixes shared (see `trieSource`),
 * scans a whole pipe read at once; only lines from the first match on are masked one by one.
 * Measured with a scratch script on the 2-core dev machine, 30 patterns from 4 secrets, 200 MB of
 * ~90-byte log lines without a secret, in 1 MB blocks: the prefix-shared expression 234 MB/s, a
 * byte-wise Aho–Corasick automaton (dense Int32Array table, JS loop) 160 MB/s, a flat
 * longest-first alternation 148–173 MB/s. A call per ~90-byte line instead costs more (flat
 * alternation 83 MB/s, automaton 143 MB/s), which is why the writer scans whole reads.
 * (Later runs on the then heavily loaded machine varied by 2x, in no consistent order.)
 *
 * Two more ways a line can show a secret that no fixed pattern catches:
 * - With escape sequences or control characters inside it (`sec\e[0mret`): the web UI and log
 *   search read a line's visible text (visible-text.ts), where the escapes are gone. A line with
 *   a control character is also matched with its escape sequences and control characters
 *   removed, and the bytes the match came from (escapes between them included) are hidden.
 * - Wrapped base64 or hex at any width (`base64 -w 8`, `fold -w 5`, `xxd -p`): each line is then
 *   a piece of the encoding, at an offset that depends on the width. A line that is nothing but
 *   such a piece (surrounding whitespace aside) is hidden whole: from 3 characters of base64
 *   (18 bits; a chance line of 3 base64 characters is in a 44-character encoding about once in
 *   6,000) and 8 of hex (hex lines of 3 would hide status codes and counters). A piece inside a
 *   longer line is not: that needs every window of the encoding as a pattern, 6 per character
 *   of it, and V8 stops compiling an expression natively well before that (measured: the
 *   patterns of one 3 KB PEM key alone already scan at 2–3 MB/s instead of 60 on the loaded
 *   dev machine), whereas tools that wrap print the pieces on lines of their own.
 */

/** What a secret is replaced by, whatever its length, so the mask does not tell the length. */
export const MASK = '*****';

/**
 * A whole value shorter than this many bytes is not masked. A one- or two-character value occurs
 * by chance all over ordinary text: masking it would destroy the log, and where the stars fall
 * would tell the value anyway. Three bytes (`abc`, a PIN) is the smallest worth hiding.
 */
export const MIN_VALUE_BYTES = 3;
/**
 * A line of a multi-line value (a PEM key, a JSON credentials file) is masked on its own only
 * from this many bytes, trimmed: shorter lines are structure (`}`, `],`, `==`) found in every
 * log, not secret material. The whole value's encodings are still masked whatever its lines.
 */
export const MIN_LINE_BYTES = 4;
/**
 * The part of a base64 text that encodes a secret embedded in other bytes is masked only from
 * this many characters: 6 characters are 36 bits, which random base64 matches once in about
 * 64 GB; shorter inner parts would mask ordinary identifiers by chance.
 */
export const MIN_BASE64_INNER = 6;
/** Widths at which tools wrap base64 (`base64` 76, PEM and `openssl base64` 64). */
const BASE64_LINE_WIDTHS = [64, 76];

/** Hex pieces shorter than this are not hidden as lines: see the module comment. */
export const MIN_HEX_PIECE = 8;

/**
 * One escape sequence or control character, as `escapeEnd` and `isControl` of visible-text.ts
 * see them, in a latin1 string of UTF-8 bytes (a C1 control is the two bytes `\xc2\x80`–`\x9f`
 * there), never matching a newline: removing every match of a line leaves its visible text with
 * carriage returns dropped rather than obeyed. The visible text is then a suffix of it, so a
 * secret the page or a search would show is a substring of it. The alternatives follow
 * escapeEnd in its order: CSI, string commands ended by BEL or `ESC \`, intermediates and a
 * final byte, a two-byte escape; a lone ESC falls to the control class. A test holds the two
 * in agreement.
 */
const CONTROL_SEQUENCE =
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  /\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|\x1b[\]PX^_](?:[^\x07\x1b\n]|\x1b(?!\\))*(?:\x07|\x1b\\)?|\x1b[\x20-\x2f]+[\x30-\x7e]?|\x1b[\x30-\x7e]|[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]/g;
/**
 * A quick test for a read or line that may hold what CONTROL_SEQUENCE removes: one character
 * class (any `\\xc2`, the first byte of U+0080–U+00BF), which V8 scans about twice as fast as
 * the exact alternation (measured 480 against 160–210 MB/s on the loaded dev machine).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const MAY_HAVE_CONTROL = /[\x00-\x08\x0b-\x1f\x7f\xc2]/;
/**
 * A line of a read that holds base64 or hex characters alone, surrounding whitespace aside
 * (group 1). Starting at a newline rather than `^` with the `m` flag lets V8 skip to newlines
 * (about 220 against 120–185 MB/s measured); lineStart() finds where the line starts.
 */
const ENCODED_LINE_IN_READ = /(?:^|\n)[\t ]*([A-Za-z0-9+/_=-]{3,})[\t \r]*(?=\n|$)/g;
/** ENCODED_LINE_IN_READ for one line. */
const ENCODED_LINE = /^[\t ]*([A-Za-z0-9+/_=-]{3,})[\t \r]*$/;

/**
 * A line's text with escape sequences and control characters removed, and where each kept run
 * of it came from, to map a match back to the line's bytes.
 */
interface StrippedLine {
  text: string;
  /** Flat `[strippedStart, originalStart, …]` of each kept run, in order. */
  runs: number[];
}

function stripControls(text: string): StrippedLine {
  const runs: number[] = [];
  let stripped = '';
  let from = 0;
  CONTROL_SEQUENCE.lastIndex = 0;
  for (let match = CONTROL_SEQUENCE.exec(text); match !== null; match = CONTROL_SEQUENCE.exec(text)) {
    if (match.index > from) {
      runs.push(stripped.length, from);
      stripped += text.slice(from, match.index);
    }
    from = match.index + match[0].length;
  }
  if (from < text.length) {
    runs.push(stripped.length, from);
    stripped += text.slice(from);
  }
  return { text: stripped, runs };
}

/** The offset in the original line of character `at` of its stripped text. */
function originalOffset(line: StrippedLine, at: number): number {
  let run = 0;
  while (run + 2 < line.runs.length && line.runs[run + 2]! <= at) run += 2;
  return line.runs[run + 1]! + at - line.runs[run]!;
}

/** Masks the printed forms of a fixed set of secret values in log lines. */
export class Masker {
  private readonly pattern: RegExp;
  /** Bytes of the longest pattern: a match never spans more. */
  readonly longestPatternBytes: number;

  private constructor(
    patterns: readonly string[],
    /** Whole base64 encodings (both alphabets, padded) a line may hold a piece of. */
    private readonly base64Texts: readonly string[],
    /** Whole hex encodings (both cases) a line may hold a piece of. */
    private readonly hexTexts: readonly string[],
  ) {
    this.pattern = new RegExp(trieSource(buildTrie(patterns)), 'g');
    this.longestPatternBytes = Math.max(...patterns.map((pattern) => pattern.length));
  }

  /**
   * A masker for these secret values, or undefined when none of them can be masked (nothing to
   * do). Forms longer than `maxLineBytes` are left out: they cannot occur in a line.
   */
  static forSecrets(values: readonly string[], maxLineBytes = Infinity): Masker | undefined {
    const patterns = new Set<string>();
    const base64Texts = new Set<string>();
    const hexTexts = new Set<string>();
    for (const value of values) {
      const forms = printedForms(value);
      if (forms.length === 0) continue;
      for (const form of forms) if (form.length <= maxLineBytes) patterns.add(form);
      for (const unit of new Set([value, value.trim()])) {
        for (const text of wrappableBase64(Buffer.from(unit, 'utf8'))) base64Texts.add(text);
        const hex = Buffer.from(unit, 'utf8').toString('hex');
        hexTexts.add(hex).add(hex.toUpperCase());
      }
    }
    return patterns.size === 0 ? undefined : new Masker([...patterns], [...base64Texts], [...hexTexts]);
  }

  /**
   * Where the first line of `bytes` that may show a secret starts, or -1: a pattern's match, or
   * the start of a line that shows one once its escapes are removed or that is a piece of a
   * wrapped encoding. Secrets never span a newline, so a writer scans a whole read once and
   * masks only the lines from there on. Lines without control characters or a lone encoded
   * word cost only native scans.
   */
  firstSecretAt(bytes: Buffer, start = 0, end = bytes.length): number {
    const text = bytes.toString('latin1', start, end);
    this.pattern.lastIndex = 0;
    const match = this.pattern.exec(text);
    let first = match === null ? text.length : match.index;
    // The whole read stripped at once (newlines are kept, so its lines are the read's lines).
    const visible = MAY_HAVE_CONTROL.test(text) ? text.replace(CONTROL_SEQUENCE, '') : text;
    if (visible !== text) {
      this.pattern.lastIndex = 0;
      const hidden = this.pattern.exec(visible);
      if (hidden !== null) first = Math.min(first, lineStartOf(text, lineNumberAt(visible, hidden.index)));
    }
    ENCODED_LINE_IN_READ.lastIndex = 0;
    for (
      let line = ENCODED_LINE_IN_READ.exec(visible);
      line !== null;
      line = ENCODED_LINE_IN_READ.exec(visible)
    ) {
      if (this.isEncodedPiece(line[1]!)) {
        const at = line[0].startsWith('\n') ? line.index + 1 : line.index;
        first = Math.min(first, lineStartOf(text, lineNumberAt(visible, at)));
        break;
      }
    }
    return first === text.length ? -1 : start + first;
  }

  /** True when `piece` is a piece of a wrapped base64 or hex encoding of a secret. */
  private isEncodedPiece(piece: string): boolean {
    if (this.base64Texts.some((text) => text.includes(piece))) return true;
    return piece.length >= MIN_HEX_PIECE && this.hexTexts.some((text) => text.includes(piece));
  }

  /**
   * `line[start, end)` with every secret replaced by MASK, as a new buffer; undefined when the
   * line holds no secret (the caller keeps its own bytes, untouched).
   */
  mask(line: Buffer, start = 0, end = line.length): Buffer | undefined {
    const ranges = this.maskedRanges(line, start, end);
    if (ranges.length === 0) return undefined;
    let hidden = 0;
    for (let i = 0; i < ranges.length; i += 2) hidden += ranges[i + 1]! - ranges[i]!;
    const masked = Buffer.allocUnsafe(end - start - hidden + (ranges.length / 2) * MASK.length);
    let at = 0;
    let from = start;
    for (let i = 0; i < ranges.length; i += 2) {
      at += line.copy(masked, at, from, start + ranges[i]!);
      at += masked.write(MASK, at, 'latin1');
      from = start + ranges[i + 1]!;
    }
    line.copy(masked, at, from, end);
    return masked;
  }

  /**
   * The byte ranges of `line[start, end)` to hide, relative to `start`, as flat `[from, to, …]`
   * pairs in order; overlapping matches are merged into one range (one mask).
   */
  maskedRanges(line: Buffer, start = 0, end = line.length): number[] {
    const text = line.toString('latin1', start, end);
    const found: number[] = [];
    this.collect(text, found);
    if (MAY_HAVE_CONTROL.test(text)) {
      // What the page and a search show: a secret with escapes inside is hidden with them.
      const stripped = stripControls(text);
      const hidden: number[] = [];
      this.collect(stripped.text, hidden);
      for (let i = 0; i < hidden.length; i += 2) {
        found.push(originalOffset(stripped, hidden[i]!), originalOffset(stripped, hidden[i + 1]! - 1) + 1);
      }
    }
    return mergeRanges(found);
  }

  /** Ranges of `text` holding a pattern, or all of it when it is a piece of a wrapped encoding. */
  private collect(text: string, ranges: number[]): void {
    const pattern = this.pattern;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      ranges.push(match.index, match.index + match[0].length);
      // Search again from the next byte, not after the match: another secret may start inside
      // this one and end past it (`abcd` and `cdef` in `abcdef`), and must be hidden too.
      pattern.lastIndex = match.index + 1;
    }
    const line = ENCODED_LINE.exec(text);
    if (line !== null && this.isEncodedPiece(line[1]!)) {
      const from = line.index + line[0].indexOf(line[1]!);
      ranges.push(from, from + line[1]!.length);
    }
  }
}

/** Flat `[from, to, …]` ranges sorted and with overlapping ones merged (one mask each). */
function mergeRanges(ranges: number[]): number[] {
  if (ranges.length <= 2) return ranges;
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: number[] = [];
  for (const [from, to] of pairs) {
    const last = merged.length - 1;
    if (last > 0 && from < merged[last]!) merged[last] = Math.max(merged[last]!, to);
    else merged.push(from, to);
  }
  return merged;
}

/** How many newlines `text` has before `at`. */
function lineNumberAt(text: string, at: number): number {
  let count = 0;
  for (
    let newline = text.indexOf('\n');
    newline !== -1 && newline < at;
    newline = text.indexOf('\n', newline + 1)
  ) {
    count++;
  }
  return count;
}

/** Where line `number` (from 0) of `text` starts. */
function lineStartOf(text: string, number: number): number {
  let at = 0;
  for (let line = 0; line < number; line++) at = text.indexOf('\n', at) + 1;
  return at;
}

/** Every form of `value` to hide, as latin1 strings of their UTF-8 bytes (see the module comment). */
export function printedForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (form: string, minBytes: number): void => {
    const bytes = Buffer.from(form, 'utf8');
    if (bytes.length >= minBytes && !bytes.includes(0x0a)) forms.add(bytes.toString('latin1'));
  };
  const trimmed = value.trim();
  if (Buffer.byteLength(trimmed) < MIN_VALUE_BYTES) return [];
  for (const form of rawForms(value)) add(form, MIN_VALUE_BYTES);
  // Encodings are of the exact value and of the value without surrounding whitespace (a secret
  // read from a file often ends with a newline that the step does not print).
  for (const unit of new Set([value, trimmed])) {
    for (const form of encodedForms(unit)) add(form, MIN_VALUE_BYTES);
    for (const form of base64Forms(Buffer.from(unit, 'utf8'))) add(form, MIN_BASE64_INNER);
  }
  return [...forms];
}

/**
 * The value as printed: itself when on one line; else each line on its own (trimmed, which also
 * drops the `\r` of CRLF lines; from MIN_LINE_BYTES), since a log line never spans a newline.
 */
function rawForms(value: string): string[] {
  const trimmed = value.trim();
  if (!trimmed.includes('\n')) return [value, trimmed];
  return trimmed
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => Buffer.byteLength(line) >= MIN_LINE_BYTES);
}

/** URL (component and form) encodings with both cases of hex, hex, and JSON string escaping. */
function encodedForms(value: string): string[] {
  const forms: string[] = [];
  const withLowerHex = (encoded: string): void => {
    forms.push(
      encoded,
      encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    );
  };
  let component: string | undefined;
  try {
    component = encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be URL-encoded: no step can print that form either.
  }
  if (component !== undefined) {
    withLowerHex(component);
    withLowerHex(component.replace(/%20/g, '+'));
  }
  // application/x-www-form-urlencoded also escapes !'()~, which encodeURIComponent leaves.
  withLowerHex(new URLSearchParams([['', value]]).toString().slice(1));
  const hex = Buffer.from(value, 'utf8').toString('hex');
  forms.push(hex, hex.toUpperCase());
  forms.push(...jsonForms(value));
  return forms;
}

/**
 * JSON string escapings: JSON.stringify's (UTF-8 as is), and the ASCII-only one of Python's
 * `json.dumps` and most other encoders (every character outside printable ASCII as `\\uXXXX`,
 * UTF-16 code units, in lower and upper case hex), each also with `/` escaped as `\\/` (PHP's
 * `json_encode`).
 */
function jsonForms(value: string): string[] {
  const plain = JSON.stringify(value).slice(1, -1);
  const escape = (upper: boolean) =>
    plain.replace(/[^\x20-\x7e]/g, (character) => {
      const hex = character.charCodeAt(0).toString(16).padStart(4, '0');
      return `\\u${upper ? hex.toUpperCase() : hex}`;
    });
  const forms = new Set([plain, escape(false), escape(true)]);
  for (const form of [...forms]) forms.add(form.replace(/\//g, '\\/'));
  return [...forms];
}

/**
 * Base64 forms of `bytes` in the standard and URL-safe alphabets: the whole encoding with and
 * without padding, its lines when wrapped by common tools, and, for the secret embedded in a
 * longer text, the characters that depend on its bytes alone. Embedded, the secret starts at
 * byte offset 0, 1 or 2 of a 3-byte group; character k covers bits [6k, 6k+6), so at offset o
 * the characters from ceil(8o/6) to floor(8(o+n)/6) depend on the secret only, whatever
 * surrounds it. (The one or two characters at each edge mix in neighbouring bytes and stay.)
 */
function base64Forms(bytes: Buffer): string[] {
  const standard: string[] = [];
  const whole = bytes.toString('base64');
  standard.push(whole, whole.replace(/=+$/, ''));
  for (const width of BASE64_LINE_WIDTHS) {
    if (whole.length <= width) continue;
    for (let at = 0; at < whole.length; at += width) standard.push(whole.slice(at, at + width));
  }
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    standard.push(encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)));
  }
  const urlSafe = standard.map((form) => form.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...standard, ...urlSafe];
}

/**
 * The base64 texts whose pieces a wrapped line may hold, in both alphabets: the whole encoding,
 * and embedded at byte offsets 1 and 2 the characters that depend on the value alone (see
 * `base64Forms`).
 */
function wrappableBase64(bytes: Buffer): string[] {
  const texts = [bytes.toString('base64')];
  for (let offset = 1; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    texts.push(encoded.slice(Math.ceil((offset * 8) / 6), Math.floor(((offset + bytes.length) * 8) / 6)));
  }
  return [...texts, ...texts.map((text) => text.replace(/\+/g, '-').replace(/\//g, '_'))];
}

interface TrieNode {
  children: Map<string, TrieNode>;
  /** A pattern ends here. */
  terminal: boolean;
}

function buildTrie(patterns: readonly string[]): TrieNode {
  const root: TrieNode = { children: new Map(), terminal: false };
  for (const pattern of patterns) {
    let node = root;
    for (const character of pattern) {
      let child = node.children.get(character);
      if (!child) node.children.set(character, (child = { children: new Map(), terminal: false }));
      node = child;
    }
    node.terminal = true;
  }
  return root;
}

/**
 * The patterns of a trie as one regular expression, common prefixes shared (`ab(?:c|d)`): V8
 * tries one alternative per distinct next byte instead of every pattern at every position.
 * Where a pattern ends inside a longer one, the longer continuation is optional and greedy, so
 * the longest pattern at a position wins. Chains of single children become one literal, so the
 * recursion is only as deep as the branch points on a path (a 64 KiB pattern is one literal).
 */
function trieSource(node: TrieNode): string {
  const alternatives: string[] = [];
  for (const [character, first] of node.children) {
    let literal = escapeRegExp(character);
    let child = first;
    while (child.children.size === 1 && !child.terminal) {
      const [next, grandchild] = child.children.entries().next().value as [string, TrieNode];
      literal += escapeRegExp(next);
      child = grandchild;
    }
    alternatives.push(literal + trieSource(child));
  }
  if (alternatives.length === 0) return '';
  const group = alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join('|')})`;
  return node.terminal ? `(?:${group})?` : group;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
