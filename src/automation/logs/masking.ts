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

/** Masks the printed forms of a fixed set of secret values in log lines. */
export class Masker {
  private readonly pattern: RegExp;
  /** Bytes of the longest pattern: a match never spans more. */
  readonly longestPatternBytes: number;

  private constructor(patterns: readonly string[]) {
    this.pattern = new RegExp(trieSource(buildTrie(patterns)), 'g');
    this.longestPatternBytes = Math.max(...patterns.map((pattern) => pattern.length));
  }

  /**
   * A masker for these secret values, or undefined when none of them can be masked (nothing to
   * do). Forms longer than `maxLineBytes` are left out: they cannot occur in a line.
   */
  static forSecrets(values: readonly string[], maxLineBytes = Infinity): Masker | undefined {
    const patterns = new Set<string>();
    for (const value of values) {
      for (const form of printedForms(value)) if (form.length <= maxLineBytes) patterns.add(form);
    }
    return patterns.size === 0 ? undefined : new Masker([...patterns]);
  }

  /**
   * Where the first secret in `bytes` starts, or -1. Secrets never span a newline, so a writer
   * scans a whole read once and masks only the lines from there on.
   */
  firstSecretAt(bytes: Buffer, start = 0, end = bytes.length): number {
    this.pattern.lastIndex = 0;
    const match = this.pattern.exec(bytes.toString('latin1', start, end));
    return match === null ? -1 : start + match.index;
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
    const pattern = this.pattern;
    const ranges: number[] = [];
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const from = match.index;
      const to = from + match[0].length;
      const last = ranges.length - 1;
      if (last > 0 && from < ranges[last]!) ranges[last] = Math.max(ranges[last]!, to);
      else ranges.push(from, to);
      // Search again from the next byte, not after the match: another secret may start inside
      // this one and end past it (`abcd` and `cdef` in `abcdef`), and must be hidden too.
      pattern.lastIndex = from + 1;
    }
    return ranges;
  }
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
  forms.push(JSON.stringify(value).slice(1, -1));
  return forms;
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
