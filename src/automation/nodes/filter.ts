/**
 * Node filters: matching nodes against `spec.nodes` or a run request's filter, and the small
 * grammar of the run-time form (`baton run … --nodes 'tags=web,db name=web-* attr.env=prod'`).
 * Pure functions, no I/O.
 */
import { InputError } from '../../platform/errors.js';
import { globMatches, NODE_GLOB } from '../../contract/glob.js';
import { MAX_PARALLELISM, nodeFilter, type NodeFilter, type NodeSpec } from './model.js';

/** `*` matches any run of characters (dots included: hostnames), `?` exactly one; linear time. */
export function nodeGlobMatches(pattern: string, text: string): boolean {
  return globMatches(pattern, text, NODE_GLOB);
}

/** Whether a node matches every condition of a filter (a filter without conditions matches all). */
export function nodeMatches(filter: NodeFilter, node: { name: string; spec: NodeSpec }): boolean {
  if (filter.name !== undefined) {
    const names = typeof filter.name === 'string' ? [filter.name] : filter.name;
    if (!names.some((pattern) => nodeGlobMatches(pattern, node.name))) return false;
  }
  if (filter.hostname !== undefined && !nodeGlobMatches(filter.hostname, node.spec.hostname)) return false;
  if (filter.tags?.some((tag) => !node.spec.tags.includes(tag))) return false;
  for (const [key, pattern] of Object.entries(filter.attributes ?? {})) {
    const value = node.spec.attributes[key];
    if (value === undefined || !nodeGlobMatches(pattern, value)) return false;
  }
  return true;
}

/** Keys of the run-time filter string. */
export const FILTER_KEYS = ['name', 'tags', 'hostname', 'attr.KEY', 'parallelism', 'keepGoing'] as const;
const ALLOWED = FILTER_KEYS.join(', ');

function filterError(message: string): InputError {
  return new InputError(message, [
    { path: 'nodes', message, expected: `key=value terms with keys ${ALLOWED}` },
  ]);
}

/**
 * Parses the run-time filter: terms separated by spaces, each `key=value`; a comma separates
 * the values of `name` (any of) and `tags` (all of). `attr.KEY=value` matches an attribute;
 * any other key is an error naming the allowed ones (a typo must not widen the filter).
 */
export function parseNodeFilter(text: string): NodeFilter {
  const filter: Record<string, unknown> = {};
  const attributes: Record<string, string> = {};
  const terms = text.split(/\s+/).filter(Boolean);
  if (terms.length === 0) throw filterError('the node filter is empty');
  for (const term of terms) {
    const equals = term.indexOf('=');
    if (equals <= 0 || equals === term.length - 1) {
      throw filterError(`node filter term "${term}" is not key=value (keys: ${ALLOWED})`);
    }
    const key = term.slice(0, equals);
    const value = term.slice(equals + 1);
    const seen = key.startsWith('attr.') ? key.slice(5) in attributes : key in filter;
    if (seen) throw filterError(`node filter key "${key}" is given twice`);
    const list = value.split(',').filter(Boolean);
    switch (key) {
      case 'name':
        filter.name = list.length === 1 ? list[0] : list;
        break;
      case 'tags':
        filter.tags = list;
        break;
      case 'hostname':
        filter.hostname = value;
        break;
      case 'parallelism': {
        const number = Number(value);
        if (!Number.isInteger(number) || number < 1 || number > MAX_PARALLELISM) {
          throw filterError(
            `node filter parallelism must be a whole number from 1 to ${MAX_PARALLELISM}, found "${value}"`,
          );
        }
        filter.parallelism = number;
        break;
      }
      case 'keepGoing':
        if (value !== 'true' && value !== 'false') {
          throw filterError(`node filter keepGoing must be true or false, found "${value}"`);
        }
        filter.keepGoing = value === 'true';
        break;
      default:
        if (key.startsWith('attr.') && key.length > 5) {
          attributes[key.slice(5)] = value;
          break;
        }
        throw filterError(`unknown node filter key "${key}" (allowed: ${ALLOWED})`);
    }
  }
  if (Object.keys(attributes).length > 0) filter.attributes = attributes;
  const parsed = nodeFilter.safeParse(filter);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw filterError(`node filter ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** The filter in its run-time form, for messages and the audit trail (`tags=web name=web-*`). */
export function formatNodeFilter(filter: NodeFilter): string {
  const terms: string[] = [];
  if (filter.name !== undefined) terms.push(`name=${[filter.name].flat().join(',')}`);
  if (filter.tags) terms.push(`tags=${filter.tags.join(',')}`);
  if (filter.hostname !== undefined) terms.push(`hostname=${filter.hostname}`);
  for (const [key, value] of Object.entries(filter.attributes ?? {})) terms.push(`attr.${key}=${value}`);
  return terms.length > 0 ? terms.join(' ') : '(all nodes)';
}
