/** How events, their rule outcomes and their chains read on the Events and Event pages. Pure. */
import type { ChainNode, EventSummary, Rule, RuleMatch, RuleOutcome } from '../api/events';

// The server's own words for an event (its list answers carry them as `summary`).
export { eventSummary } from '../../../src/contract/event-summary.js';

/** How an outcome reads: `bad` ones need someone to look, `muted` ones were held back on purpose. */
export function outcomeTone(outcome: RuleOutcome): 'ok' | 'muted' | 'bad' {
  if (outcome === 'triggered') return 'ok';
  if (outcome === 'refused' || outcome === 'error') return 'bad';
  return 'muted';
}

/** The outcomes of an event's matches, counted per outcome in a fixed order, e.g. 2 triggered, 1 refused. */
export function outcomeCounts(matches: readonly Pick<RuleMatch, 'outcome'>[]): [RuleOutcome, number][] {
  const order: RuleOutcome[] = ['triggered', 'deduplicated', 'throttled', 'refused', 'error'];
  return order
    .map((outcome): [RuleOutcome, number] => [
      outcome,
      matches.filter((match) => match.outcome === outcome).length,
    ])
    .filter(([, count]) => count > 0);
}

/** The executions an event caused, its chain included, in the order they were started. */
export function causedExecutions(matches: readonly RuleMatch[]): number[] {
  const ids = matches.flatMap((match) => (match.executionId === null ? [] : [match.executionId]));
  return [...new Set(ids)].sort((a, b) => a - b);
}

/** A chain node with its depth, for lists and counts that need the tree flat. */
export interface ChainStep {
  depth: number;
  node: ChainNode;
}

/** The chain depth first: each rule, then what its execution caused, indented one level more. */
export function flattenChain(chain: readonly ChainNode[], depth = 0): ChainStep[] {
  return chain.flatMap((node) => [{ depth, node }, ...flattenChain(node.next, depth + 1)]);
}

/**
 * An execution's output in one short line (`cause=disk_full mountpoint=/var`), for the chain where
 * the full JSON would drown the tree; null when there is none.
 */
export function outputSummary(output: unknown, max = 120): string | null {
  if (output === null || output === undefined) return null;
  if (typeof output !== 'object' || Array.isArray(output)) return truncate(JSON.stringify(output), max);
  const entries = Object.entries(output);
  if (entries.length === 0) return null;
  const text = entries
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return truncate(text, max);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Where an event came from, in words: `ops/alerts` for a hook, `an SLO alert in ops` for one
 * Baton raised, `an execution in ops` otherwise.
 */
export function eventSource(event: Pick<EventSummary, 'project' | 'hook'> & { format?: string }): string {
  if (event.hook !== null) return `${event.project}/${event.hook}`;
  return event.format === 'slo' ? `an SLO alert in ${event.project}` : `an execution in ${event.project}`;
}

/** A rule's `on` in words: `hook alerts`, `executions of ops/diagnose`. */
export function describeTrigger(on: string): string {
  if (on.startsWith('hook:')) return `events of hook ${on.slice('hook:'.length)}`;
  if (on.startsWith('execution:')) return `finished executions of ${on.slice('execution:'.length)}`;
  if (on.startsWith('slo:')) {
    const filters = on.slice('slo:'.length).split(',').filter(Boolean).join(', ');
    return filters ? `SLO alerts (${filters.replaceAll('=', ' ')})` : 'SLO alerts';
  }
  return on;
}

/** The job a rule fires, as a link path: a bare name is in the rule's project. */
export function ruleJobPath(rule: Pick<Rule, 'project' | 'job'>): string {
  const [project, name] = rule.job.includes('/') ? rule.job.split('/', 2) : [rule.project, rule.job];
  return `/jobs/${encodeURIComponent(project!)}/${encodeURIComponent(name!)}`;
}

/** A rule's dedup and throttle in a few words, or null when it has neither. */
export function describeLimits(rule: Pick<Rule, 'dedup' | 'throttle'>): string | null {
  const parts: string[] = [];
  if (rule.dedup) {
    parts.push(
      `once per ${rule.dedup.key ? `key ${rule.dedup.key}` : 'fingerprint'} within ${rule.dedup.window}`,
    );
  }
  if (rule.throttle) parts.push(`at most ${rule.throttle.max} per ${rule.throttle.per}`);
  return parts.length === 0 ? null : parts.join('; ');
}

/** The URL a hook is posted to, on the server the page came from. */
export function hookUrl(origin: string, path: string): string {
  return `${origin.replace(/\/+$/, '')}${path}`;
}
