/**
 * The rule expression language: a small, safe language over an event's fields. No `eval`, no
 * function calls beyond `all`, `any` and `not`, no loops; evaluation cannot throw and cannot
 * take long (regexes run in re2js, linear in the matched text, see contract/regex.ts).
 *
 *   status == "firing" && labels.alertname == "DiskFull" && labels.severity =~ "^(critical|page)$"
 *   any(labels.env in ["prod", "staging"], not(annotations["runbook-url"] == null))
 *
 * Grammar (lowest precedence first):
 *   or      := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | compare
 *   compare := value ( OP value )?            OP: == != < <= > >= =~ !~ contains in
 *   value   := path | literal | list | "(" or ")" | ("all"|"any"|"not") "(" or ("," or)* ")"
 *   path    := IDENT ( "." IDENT | "[" STRING | NUMBER "]" )*
 *
 * Comparison semantics: `==`/`!=` compare JSON values exactly, except that a number and a string
 * that reads as a number compare as numbers (labels are always strings: `labels.code == 500`
 * holds for "500"). `<`, `<=`, `>`, `>=` compare as numbers when both sides read as numbers,
 * as strings when both are strings, and are false otherwise (null is never ordered).
 */
import {
  compileUserRegex,
  MAX_REGEX_LENGTH,
  RegexSyntaxError,
  type UserRegex,
} from '../../contract/regex.js';

/** Patterns longer than this are refused at parse time. */
export const MAX_PATTERN_LENGTH = MAX_REGEX_LENGTH;
/**
 * Only the first 4 KiB of a value are matched against a regex. The match is linear (RE2), so
 * this cap is not what keeps `(a+)+$` harmless; it bounds the work of one comparison to about
 * pattern size × 4 KiB, whatever size of payload a hook accepts.
 */
export const REGEX_INPUT_CAP = 4096;
/** Expressions longer than this are refused (they are written by people, in a YAML field). */
export const MAX_EXPRESSION_LENGTH = 4096;

/** A parse error: what was wrong and the 1-based column in the expression text. */
export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column}`);
  }
  /** The message without the column, for callers that show the column their own way. */
  get detail(): string {
    return this.message.replace(/ at column \d+$/, '');
  }
}

type PathSegment = string | number;

export type Expr =
  | { type: 'literal'; value: unknown }
  | { type: 'path'; segments: PathSegment[] }
  | { type: 'list'; items: Expr[] }
  | { type: 'not'; operand: Expr }
  | { type: 'and' | 'or'; operands: Expr[] }
  | { type: 'compare'; op: CompareOp; left: Expr; right: Expr; regex?: UserRegex };

type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~' | 'contains' | 'in';

type Token =
  | { kind: 'string'; value: string; column: number }
  | { kind: 'number'; value: number; column: number }
  | { kind: 'ident'; value: string; column: number }
  | { kind: 'punct'; value: string; column: number }
  | { kind: 'end'; column: number };

const PUNCTUATION = [
  '&&',
  '||',
  '==',
  '!=',
  '<=',
  '>=',
  '=~',
  '!~',
  '<',
  '>',
  '!',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    const column = i + 1;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    if (char === '"' || char === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ExpressionError(`unterminated string starting`, column);
        const c = text[j]!;
        if (c === char) break;
        if (c === '\\') {
          const next = text[j + 1];
          const escapes: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" };
          if (next === undefined || escapes[next] === undefined) {
            throw new ExpressionError(
              `unknown escape "\\${next ?? ''}" (use \\\\, \\", \\', \\n or \\t)`,
              j + 1,
            );
          }
          value += escapes[next];
          j += 2;
          continue;
        }
        value += c;
        j++;
      }
      tokens.push({ kind: 'string', value, column });
      i = j + 1;
      continue;
    }
    const number = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    // A minus is a number's sign only where a value may start (not after a value: `a -1` is an error anyway).
    if (number && (char !== '-' || !endsValue(tokens.at(-1)))) {
      tokens.push({ kind: 'number', value: Number(number[0]), column });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', value: ident[0], column });
      i += ident[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => text.startsWith(candidate, i));
    if (punct) {
      tokens.push({ kind: 'punct', value: punct, column });
      i += punct.length;
      continue;
    }
    throw new ExpressionError(`unexpected character "${char}"`, column);
  }
  tokens.push({ kind: 'end', column: text.length + 1 });
  return tokens;
}

function endsValue(token: Token | undefined): boolean {
  if (!token) return false;
  if (token.kind === 'string' || token.kind === 'number') return true;
  if (token.kind === 'ident') return !['contains', 'in'].includes(token.value);
  return token.kind === 'punct' && (token.value === ')' || token.value === ']');
}

function describeToken(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end';
    case 'string':
      return `"${token.value}"`;
    default:
      return `'${token.value}'`;
  }
}

const COMPARE_OPS = new Set<string>(['==', '!=', '<', '<=', '>', '>=', '=~', '!~']);
const KEYWORD_OPS = new Set<string>(['contains', 'in']);
const FUNCTIONS = new Set(['all', 'any', 'not']);

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.position]!;
  }
  private next(): Token {
    return this.tokens[this.position++]!;
  }
  private isPunct(value: string): boolean {
    const token = this.peek();
    return token.kind === 'punct' && token.value === value;
  }
  private expectPunct(value: string, context: string): void {
    const token = this.peek();
    if (token.kind === 'punct' && token.value === value) {
      this.next();
      return;
    }
    throw new ExpressionError(`expected '${value}' ${context}, found ${describeToken(token)}`, token.column);
  }

  parseAll(): Expr {
    const expr = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'end') {
      throw new ExpressionError(
        `unexpected ${describeToken(rest)} (expected an operator such as &&, || or ==, or the end)`,
        rest.column,
      );
    }
    return expr;
  }

  private parseOr(): Expr {
    const operands = [this.parseAnd()];
    while (this.isPunct('||')) {
      const operator = this.next();
      operands.push(this.parseAnd(operator));
    }
    return operands.length === 1 ? operands[0]! : { type: 'or', operands };
  }

  private parseAnd(after?: Token): Expr {
    const operands = [this.parseUnary(after)];
    while (this.isPunct('&&')) {
      const operator = this.next();
      operands.push(this.parseUnary(operator));
    }
    return operands.length === 1 ? operands[0]! : { type: 'and', operands };
  }

  private parseUnary(after?: Token): Expr {
    if (this.isPunct('!')) {
      const operator = this.next();
      return { type: 'not', operand: this.parseUnary(operator) };
    }
    return this.parseCompare(after);
  }

  private parseCompare(after?: Token): Expr {
    const left = this.parseValue(after);
    const token = this.peek();
    const op =
      token.kind === 'punct' && COMPARE_OPS.has(token.value)
        ? token.value
        : token.kind === 'ident' && KEYWORD_OPS.has(token.value)
          ? token.value
          : undefined;
    if (op === undefined) return left;
    this.next();
    const right = this.parseValue(token);
    const compare: Expr = { type: 'compare', op: op as CompareOp, left, right };
    if (op === '=~' || op === '!~') {
      if (right.type !== 'literal' || typeof right.value !== 'string') {
        throw new ExpressionError(
          `expected a string pattern after '${op}'`,
          this.columnOf(token) + op.length + 1,
        );
      }
      compare.regex = compileRegex(right.value, this.columnOf(token) + op.length + 1);
    }
    if (op === 'in' && right.type !== 'list' && right.type !== 'path') {
      throw new ExpressionError(`expected a list such as ["a", "b"] after 'in'`, this.columnOf(token) + 3);
    }
    return compare;
  }

  private columnOf(token: Token): number {
    return token.column;
  }

  private parseValue(after?: Token): Expr {
    const token = this.peek();
    const context = after ? ` after '${after.kind === 'end' ? '' : String(after.value)}'` : '';
    switch (token.kind) {
      case 'string':
      case 'number':
        this.next();
        return { type: 'literal', value: token.value };
      case 'end':
        throw new ExpressionError(`expected a value${context}`, token.column);
      case 'punct':
        if (token.value === '(') {
          this.next();
          const inner = this.parseOr();
          this.expectPunct(')', `to close the '(' at column ${token.column}`);
          return inner;
        }
        if (token.value === '[') return this.parseList();
        throw new ExpressionError(`expected a value${context}, found ${describeToken(token)}`, token.column);
      case 'ident': {
        if (token.value === 'true' || token.value === 'false') {
          this.next();
          return { type: 'literal', value: token.value === 'true' };
        }
        if (token.value === 'null') {
          this.next();
          return { type: 'literal', value: null };
        }
        if (FUNCTIONS.has(token.value) && this.tokens[this.position + 1]?.kind === 'punct') {
          const following = this.tokens[this.position + 1] as { value: string };
          if (following.value === '(') return this.parseFunction();
        }
        if (KEYWORD_OPS.has(token.value)) {
          throw new ExpressionError(`expected a value${context}, found '${token.value}'`, token.column);
        }
        return this.parsePath();
      }
    }
  }

  private parseFunction(): Expr {
    const name = this.next() as { value: string; column: number };
    this.next(); // (
    const args: Expr[] = [];
    if (this.isPunct(')')) {
      throw new ExpressionError(`${name.value}() needs at least one condition`, this.peek().column);
    }
    for (;;) {
      args.push(this.parseOr());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(')', `to close ${name.value}( at column ${name.column}`);
      break;
    }
    if (name.value === 'not') {
      if (args.length !== 1) throw new ExpressionError(`not() takes exactly one condition`, name.column);
      return { type: 'not', operand: args[0]! };
    }
    if (args.length === 1) return args[0]!;
    return { type: name.value === 'all' ? 'and' : 'or', operands: args };
  }

  private parseList(): Expr {
    const open = this.next();
    const items: Expr[] = [];
    if (this.isPunct(']')) {
      this.next();
      return { type: 'list', items };
    }
    for (;;) {
      const token = this.peek();
      const item = this.parseValue(open);
      if (item.type !== 'literal') {
        throw new ExpressionError(`a list holds only strings, numbers, booleans and null`, token.column);
      }
      items.push(item);
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(']', `to close the list at column ${open.column}`);
      return { type: 'list', items };
    }
  }

  private parsePath(): Expr {
    const first = this.next() as { value: string };
    const segments: PathSegment[] = [first.value];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        const name = this.peek();
        if (name.kind !== 'ident') {
          throw new ExpressionError(
            `expected a field name after '.', found ${describeToken(name)}`,
            name.column,
          );
        }
        this.next();
        segments.push(name.value);
        continue;
      }
      if (this.isPunct('[')) {
        const open = this.next();
        const key = this.peek();
        if (key.kind === 'string') segments.push(key.value);
        else if (key.kind === 'number' && Number.isInteger(key.value) && key.value >= 0)
          segments.push(key.value);
        else {
          throw new ExpressionError(
            `expected a quoted key or an index after '[', found ${describeToken(key)}`,
            key.column,
          );
        }
        this.next();
        this.expectPunct(']', `to close the '[' at column ${open.column}`);
        continue;
      }
      return { type: 'path', segments };
    }
  }
}

function compileRegex(pattern: string, column: number): UserRegex {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new ExpressionError(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`, column);
  }
  try {
    return compileUserRegex(pattern);
  } catch (error) {
    if (!(error instanceof RegexSyntaxError)) throw error;
    throw new ExpressionError(`invalid regular expression: ${error.message}`, column);
  }
}

/** Parses an expression; throws ExpressionError with the column of the first problem. */
export function parseExpression(text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 1);
  }
  return new Parser(tokenize(text)).parseAll();
}

/** The value at a path of the fields; undefined segments give null. */
export function lookup(fields: unknown, segments: readonly PathSegment[]): unknown {
  let value: unknown = fields;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return null;
    if (Array.isArray(value)) {
      if (typeof segment !== 'number') return null;
      value = value[segment];
    } else {
      if (!Object.hasOwn(value, String(segment))) return null;
      value = (value as Record<string, unknown>)[String(segment)];
    }
    if (value === undefined) return null;
  }
  return value;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function looseEqual(left: unknown, right: unknown): boolean {
  if (typeof left === 'number' || typeof right === 'number') {
    const [a, b] = [asNumber(left), asNumber(right)];
    if (a !== undefined && b !== undefined) return a === b;
  }
  if (left === null || right === null || typeof left !== 'object' || typeof right !== 'object') {
    return left === right;
  }
  return JSON.stringify(left) === JSON.stringify(right);
}

function order(left: unknown, right: unknown): number | undefined {
  const [a, b] = [asNumber(left), asNumber(right)];
  if (a !== undefined && b !== undefined) return a - b;
  if (typeof left === 'string' && typeof right === 'string') return left < right ? -1 : left > right ? 1 : 0;
  return undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function matches(regex: UserRegex, value: unknown): boolean {
  const subject = text(value);
  return subject !== undefined && regex.test(subject.slice(0, REGEX_INPUT_CAP));
}

function value(expr: Expr, fields: unknown): unknown {
  switch (expr.type) {
    case 'literal':
      return expr.value;
    case 'path':
      return lookup(fields, expr.segments);
    case 'list':
      return expr.items.map((item) => value(item, fields));
    default:
      return evaluate(expr, fields);
  }
}

/** Evaluates a parsed expression against fields; missing fields are null, nothing throws. */
export function evaluate(expr: Expr, fields: unknown): boolean {
  switch (expr.type) {
    case 'and':
      return expr.operands.every((operand) => evaluate(operand, fields));
    case 'or':
      return expr.operands.some((operand) => evaluate(operand, fields));
    case 'not':
      return !evaluate(expr.operand, fields);
    case 'literal':
    case 'path':
    case 'list':
      return truthy(value(expr, fields));
    case 'compare': {
      const left = value(expr.left, fields);
      const right = value(expr.right, fields);
      switch (expr.op) {
        case '==':
          return looseEqual(left, right);
        case '!=':
          return !looseEqual(left, right);
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const difference = order(left, right);
          if (difference === undefined) return false;
          return expr.op === '<'
            ? difference < 0
            : expr.op === '<='
              ? difference <= 0
              : expr.op === '>'
                ? difference > 0
                : difference >= 0;
        }
        case '=~':
          return matches(expr.regex!, left);
        case '!~':
          return !matches(expr.regex!, left);
        case 'contains':
          if (Array.isArray(left)) return left.some((item) => looseEqual(item, right));
          if (typeof left === 'string') return text(right) !== undefined && left.includes(text(right)!);
          return false;
        case 'in':
          return Array.isArray(right) && right.some((item) => looseEqual(left, item));
      }
    }
  }
}

/** A bare value as a condition: present and not false, empty or zero. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && value !== false && value !== '' && value !== 0;
}

// ---------------------------------------------------------------------------------------------
// Option templates: `{{ labels.instance }}`

/** A parsed template: literal text and paths, in order. */
export type Template = (string | { segments: PathSegment[] })[];

const TEMPLATE_PART = /\{\{(.*?)\}\}/g;

/** Parses `text {{ path }} text`; throws ExpressionError (column in the template) for a bad path. */
export function parseTemplate(source: string): Template {
  const parts: Template = [];
  let last = 0;
  for (const match of source.matchAll(TEMPLATE_PART)) {
    if (match.index > last) parts.push(source.slice(last, match.index));
    const inner = match[1]!;
    const offset = match.index + 2;
    let expr: Expr;
    try {
      expr = parseExpression(inner);
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error;
      throw new ExpressionError(error.detail, offset + error.column);
    }
    if (expr.type !== 'path') {
      const column = offset + 1 + (inner.length - inner.trimStart().length);
      throw new ExpressionError('expected a field path such as labels.instance inside {{ }}', column);
    }
    parts.push({ segments: expr.segments });
    last = match.index + match[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  if (parts.some((part) => typeof part === 'string' && part.includes('{{'))) {
    throw new ExpressionError("unclosed '{{'", source.indexOf('{{', last) + 1);
  }
  return parts;
}

/**
 * Renders a template against fields. A template that is exactly one `{{ path }}` keeps the
 * value's type (a number stays a number, a list a list); otherwise values are joined as text,
 * null as the empty string.
 */
export function renderTemplate(template: Template, fields: unknown): unknown {
  if (template.length === 1 && typeof template[0] !== 'string') return lookup(fields, template[0]!.segments);
  return template
    .map((part) => {
      if (typeof part === 'string') return part;
      const found = lookup(fields, part.segments);
      if (found === null) return '';
      return typeof found === 'object' ? JSON.stringify(found) : String(found);
    })
    .join('');
}

/** The top-level field names an expression or template reads, for apply-time checks. */
export function rootFields(expr: Expr): string[] {
  switch (expr.type) {
    case 'path':
      return [String(expr.segments[0])];
    case 'compare':
      return [...rootFields(expr.left), ...rootFields(expr.right)];
    case 'not':
      return rootFields(expr.operand);
    case 'and':
    case 'or':
      return expr.operands.flatMap(rootFields);
    default:
      return [];
  }
}
