/**
 * Reading YAML (or JSON) files into documents that remember where each value came from, so
 * that every error can say file:line:column.
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { InputError, type Problem } from '../errors.js';
import { findShapeFlaw } from '../json-shape.js';

/**
 * How many times a document may expand an alias. Real documents reuse an anchor a few times; a
 * "billion laughs" document nests aliases of aliases so that a few hundred bytes expand to
 * billions of values. The yaml library refuses past this count; we say where.
 */
const MAX_ALIAS_COUNT = 100;

export interface SourceFile {
  /** The name shown in errors: a path relative to where the user ran the command. */
  name: string;
  content: string;
}

export type FieldPath = readonly (string | number)[];

export interface SourceDocument {
  file: string;
  /** Position of the document in its file, from 0. */
  index: number;
  /**
   * Position in the list, from 0, when the YAML document is a list of documents (as the OpenSLO
   * go-sdk's examples are): each item is a document of its own, and `locate` takes paths from
   * the item, not from the list.
   */
  item?: number;
  value: unknown;
  /** The text of this document alone, as written. */
  text: string;
  /** Line and column of the value (or, with `atKey`, of the key) at a field path. */
  locate(path: FieldPath, atKey?: boolean): { line: number; column: number };
}

/** Parses every file; reports every syntax error of every file at once. */
export function parseSources(files: readonly SourceFile[]): SourceDocument[] {
  const documents: SourceDocument[] = [];
  const problems: Problem[] = [];
  for (const file of files) {
    const lineCounter = new LineCounter();
    const parsed = parseAllDocuments(file.content, { lineCounter, uniqueKeys: true, prettyErrors: false });
    const list = Array.isArray(parsed) ? parsed : [];
    if (!Array.isArray(parsed)) {
      // An empty stream parses to a bare EmptyStream: a file with nothing in it.
      continue;
    }
    list.forEach((doc, index) => {
      if (doc.errors.length > 0) {
        for (const error of doc.errors) {
          const { line, col } = lineCounter.linePos(error.pos[0]);
          problems.push({ file: file.name, line, column: col, message: firstLine(error.message) });
        }
        return;
      }
      if (doc.contents === null) return; // `---` with nothing after it
      const locate = (path: FieldPath, atKey = false) => {
        const { line, col } = lineCounter.linePos(offsetOf(doc, path, atKey));
        return { line, column: col };
      };
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (error) {
        // The library's only refusal here is the alias count ("Excessive alias count …").
        const { line, col } = lineCounter.linePos(firstAliasOffset(doc));
        problems.push({
          file: file.name,
          line,
          column: col,
          message: `aliases expand to too many values (at most ${MAX_ALIAS_COUNT} alias expansions): ${(error as Error).message}`,
          expected: 'values written out, or aliases that do not nest',
        });
        return;
      }
      // Once here for every kind: each schema's records would otherwise drop `__proto__` keys
      // silently, and recursive checks after this one assume a bounded depth.
      const flaw = findShapeFlaw(value, { refusePrototypeKeys: true });
      if (flaw) {
        problems.push({
          file: file.name,
          ...locate(flaw.path, flaw.atKey),
          path: formatPath(flaw.path) || undefined,
          message: flaw.message,
          expected: flaw.expected,
        });
        return;
      }
      if (isSeq(doc.contents) && Array.isArray(value)) {
        // A list at the top is never one document: each item is one, located inside the list.
        doc.contents.items.forEach((node, item) => {
          const range = (node as Node | null)?.range;
          documents.push({
            file: file.name,
            index,
            item,
            value: value[item],
            text: range ? itemText(file.content, range[0], range[1]) : '',
            locate: (path, atKey) => locate([item, ...path], atKey),
          });
        });
        return;
      }
      documents.push({
        file: file.name,
        index,
        value,
        text: file.content.slice(doc.range[0], doc.range[1]).trim() + '\n',
        locate,
      });
    });
  }
  if (problems.length > 0) {
    throw new InputError(
      `${problems.length} problem${problems.length > 1 ? 's' : ''} reading the documents`,
      problems,
    );
  }
  return documents;
}

/**
 * The text of one list item as a document of its own: its first line starts after `- `, so the
 * lines after it lose the indentation the list gave them, and the text parses alone.
 */
function itemText(content: string, start: number, end: number): string {
  const indent = start - (content.lastIndexOf('\n', start - 1) + 1);
  const lines = content.slice(start, end).trimEnd().split('\n');
  return (
    lines
      .map((line, number) =>
        number === 0 ? line : line.slice(Math.min(indent, line.length - line.trimStart().length)),
      )
      .join('\n') + '\n'
  );
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** Where the first alias (`*name`) of a document is, to point at when aliases expand too far. */
function firstAliasOffset(doc: Document): number {
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  visit(doc, {
    Alias(_key, node) {
      offset = node.range?.[0] ?? offset;
      return visit.BREAK;
    },
  });
  return offset;
}

/** The source offset of the deepest node that exists along the path. */
function offsetOf(doc: Document, path: FieldPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0] ?? 0;
  for (const [depth, segment] of path.entries()) {
    const last = depth === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => (isScalar(item.key) ? String(item.key.value) : item.key) === String(segment),
      );
      if (!pair) break;
      const keyOffset = (pair.key as Node | null)?.range?.[0];
      const valueOffset = (pair.value as Node | null)?.range?.[0];
      offset = (last && atKey ? keyOffset : (valueOffset ?? keyOffset)) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** `['spec', 'steps', 1, 'timeout']` → `spec.steps[1].timeout`. */
export function formatPath(path: FieldPath): string {
  return path.reduce<string>(
    (text, segment) =>
      typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment,
    '',
  );
}
