import { describe, expect, it } from 'vitest';
import {
  evaluate,
  ExpressionError,
  parseExpression,
  parseTemplate,
  REGEX_INPUT_CAP,
  renderTemplate,
} from './expression.js';

const alert = {
  status: 'firing',
  labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1:9100', code: '500', 'x-y': 'dash' },
  annotations: { summary: 'disk / is 97% full', 'runbook-url': 'https://runbooks/disk' },
  fingerprint: 'abc123',
  count: 3,
  tags: ['prod', 'db'],
  ok: true,
  empty: '',
};

const holds = (expression: string, fields: unknown = alert) => evaluate(parseExpression(expression), fields);

function errorOf(expression: string): ExpressionError {
  try {
    parseExpression(expression);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`"${expression}" parsed`);
}

describe('rule expressions', () => {
  it('compare fields for equality, with numbers and numeric strings compared as numbers', () => {
    expect(holds('status == "firing"')).toBe(true);
    expect(holds("status == 'resolved'")).toBe(false);
    expect(holds('status != "resolved"')).toBe(true);
    expect(holds('labels.code == 500')).toBe(true);
    expect(holds('labels.code == "500"')).toBe(true);
    expect(holds('labels.code == 500.0')).toBe(true);
    expect(holds('ok == true && ok != false')).toBe(true);
    expect(holds('tags == ["prod", "db"]')).toBe(true);
  });

  it('orders numbers numerically and strings lexically, and never orders null or mixed types', () => {
    expect(holds('count > 2 && count >= 3 && count < 4 && count <= 3')).toBe(true);
    expect(holds('labels.code > 99')).toBe(true); // "500" > 99 as numbers, not as text
    expect(holds('labels.severity > "aaa"')).toBe(true);
    expect(holds('labels.missing < 1')).toBe(false);
    expect(holds('labels.missing >= 0')).toBe(false);
    expect(holds('labels.severity > 1')).toBe(false);
    expect(holds('count > -1')).toBe(true);
  });

  it('match regexes, capping the matched text', () => {
    expect(holds('labels.severity =~ "^(critical|page)$"')).toBe(true);
    expect(holds('labels.severity !~ "^warn"')).toBe(true);
    expect(holds('labels.missing =~ ".*"')).toBe(false);
    expect(holds('labels.missing !~ "x"')).toBe(true);
    const long = { value: `${'a'.repeat(REGEX_INPUT_CAP)}END` };
    expect(holds('value =~ "END$"', long)).toBe(false);
  });

  it('match nested quantifiers in linear time (RE2), on values that backtracking takes hours on', () => {
    // `(a+)+$` against 30 characters took 24 s in JavaScript's engine, doubling with each one.
    expect(holds('value =~ "(a+)+$"', { value: `${'a'.repeat(60)}b` })).toBe(false);
    expect(holds('value =~ "(a+)+$"', { value: `b${'a'.repeat(60)}` })).toBe(true);
    expect(holds('value !~ "^(a|aa)+$"', { value: `${'a'.repeat(REGEX_INPUT_CAP - 1)}b` })).toBe(true);
  });

  it('refuse what RE2 cannot run (backreferences, lookaround), at the column of the pattern', () => {
    const backreference = errorOf('labels.severity =~ "(a)\\\\1"');
    expect(backreference.column).toBe(20);
    expect(backreference.message).toMatch(
      /^invalid regular expression: invalid escape sequence `\\1`; RE2 syntax/,
    );
    const lookahead = errorOf('x !~ "a(?=b)"');
    expect(lookahead.column).toBe(6);
    expect(lookahead.detail).toMatch(/RE2 syntax is expected \(no backreferences/);
  });

  it('test substrings, list membership and `in`', () => {
    expect(holds('annotations.summary contains "97%"')).toBe(true);
    expect(holds('tags contains "db"')).toBe(true);
    expect(holds('tags contains "web"')).toBe(false);
    expect(holds('labels.severity in ["critical", "page"]')).toBe(true);
    expect(holds('count in [1, 2, 3]')).toBe(true);
    expect(holds('labels.missing in ["a"]')).toBe(false);
    expect(holds('labels.missing contains "a"')).toBe(false);
  });

  it('read quoted keys, indexes, and treat missing fields as null', () => {
    expect(holds('annotations["runbook-url"] =~ "^https://"')).toBe(true);
    expect(holds('labels.x-y == "dash"')).toBe(true);
    expect(holds('tags[1] == "db"')).toBe(true);
    expect(holds('tags[9] == null')).toBe(true);
    expect(holds('labels.nothing.deeper == null')).toBe(true);
    expect(holds('status.length == null')).toBe(true);
    expect(holds('labels.nothing')).toBe(false);
    expect(holds('labels.alertname')).toBe(true);
    expect(holds('empty')).toBe(false);
    expect(holds('anything == null', null)).toBe(true);
  });

  it('combine with &&, ||, !, all(), any(), not() and parentheses, && binding tighter than ||', () => {
    expect(holds('status == "resolved" && ok || count == 3')).toBe(true);
    expect(holds('status == "resolved" && (ok || count == 3)')).toBe(false);
    expect(holds('!ok || count == 3')).toBe(true);
    expect(holds('!(ok || false)')).toBe(false);
    expect(holds('!!ok')).toBe(true);
    expect(holds('all(ok, count == 3, status == "firing")')).toBe(true);
    expect(holds('all(ok, count == 4)')).toBe(false);
    expect(holds('any(count == 4, labels.severity == "critical")')).toBe(true);
    expect(holds('not(count == 4)')).toBe(true);
    expect(holds('any(not(ok), all(count > 1, tags contains "prod"))')).toBe(true);
  });

  it('report the column of what is wrong', () => {
    expect(errorOf('status == ').message).toBe("expected a value after '==' at column 11");
    expect(errorOf('status ==  && ok').message).toBe("expected a value after '==', found '&&' at column 12");
    expect(errorOf('(status == "x"').message).toBe(
      "expected ')' to close the '(' at column 1, found the end at column 15",
    );
    expect(errorOf('status == "firing').column).toBe(11);
    expect(errorOf('labels.severity =~ "(" ').message).toMatch(
      /^invalid regular expression: .* at column 20$/,
    );
    expect(errorOf('status # 1').column).toBe(8);
    expect(errorOf('status "x"').message).toBe(
      `unexpected "x" (expected an operator such as &&, || or ==, or the end) at column 8`,
    );
    expect(errorOf('labels. == 1').column).toBe(9);
    expect(errorOf('x in "a"').message).toBe(`expected a list such as ["a", "b"] after 'in' at column 6`);
    expect(errorOf('not(a, b)').message).toBe('not() takes exactly one condition at column 1');
    expect(errorOf('all()').column).toBe(5);
    expect(errorOf('x == [a.b]').message).toBe(
      'a list holds only strings, numbers, booleans and null at column 7',
    );
    expect(errorOf(`x =~ "${'a'.repeat(600)}"`).message).toMatch(/pattern is longer than 512/);
  });
});

describe('option templates', () => {
  it('render paths into text, keeping the type of a lone path', () => {
    expect(renderTemplate(parseTemplate('{{ labels.instance }}'), alert)).toBe('db-1:9100');
    expect(renderTemplate(parseTemplate('{{count}}'), alert)).toBe(3);
    expect(renderTemplate(parseTemplate('host={{ labels.instance }} n={{ count }}'), alert)).toBe(
      'host=db-1:9100 n=3',
    );
    expect(renderTemplate(parseTemplate('{{ annotations["runbook-url"] }}'), alert)).toBe(
      'https://runbooks/disk',
    );
    expect(renderTemplate(parseTemplate('[{{ labels.nope }}]'), alert)).toBe('[]');
    expect(renderTemplate(parseTemplate('plain'), alert)).toBe('plain');
  });

  it('refuse what is not a path, with the column in the template', () => {
    expect(() => parseTemplate('x {{ a == 1 }}')).toThrow(
      'expected a field path such as labels.instance inside {{ }} at column 6',
    );
    expect(() => parseTemplate('{{ labels. }}')).toThrow(/at column 12$/);
    expect(() => parseTemplate('a {{ b')).toThrow("unclosed '{{' at column 3");
  });
});
