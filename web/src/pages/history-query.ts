/**
 * The History page's filters: read from the URL (every view is a link), turned into the query of
 * GET /api/v1/executions. Pure, so tests pin the URL contract down.
 */
import { EXECUTION_STATES, type ExecutionState } from '../api/types';
import { apiTimeBound } from '../components/time-bound';

export const HISTORY_PAGE_SIZE = 50;

export interface HistoryFilters {
  /** NAME or PROJECT/NAME */
  job: string;
  project: string;
  /** Who requested. */
  user: string;
  states: ExecutionState[];
  since: string;
  until: string;
  /** Page cursor: executions with a smaller id. */
  before: string | undefined;
}

const isState = (value: string): value is ExecutionState =>
  (EXECUTION_STATES as readonly string[]).includes(value);

/**
 * The filters a URL names. `states=failed,timed_out` and a single `state=running` (older links)
 * are both read; unknown states are kept out of the list and reported by `unknownStates`.
 */
export function readHistoryFilters(params: URLSearchParams): HistoryFilters {
  return {
    job: params.get('job') ?? '',
    project: params.get('project') ?? '',
    user: params.get('user') ?? '',
    states: statesOf(params).filter(isState),
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
    before: params.get('before') || undefined,
  };
}

/** States named in the URL that are not execution states (a mistyped link). */
export function unknownStates(params: URLSearchParams): string[] {
  return statesOf(params).filter((state) => !isState(state));
}

function statesOf(params: URLSearchParams): string[] {
  const listed = [params.get('state') ?? '', params.get('states') ?? ''].join(',');
  return [
    ...new Set(
      listed
        .split(',')
        .map((state) => state.trim())
        .filter(Boolean),
    ),
  ];
}

/** The API query for these filters; empty ones are left out. */
export function historyApiQuery(filters: HistoryFilters, limit = HISTORY_PAGE_SIZE) {
  return {
    job: filters.job.trim() || undefined,
    project: filters.project || undefined,
    user: filters.user.trim() || undefined,
    states: filters.states.length > 0 ? filters.states.join(',') : undefined,
    since: apiTimeBound(filters.since),
    until: apiTimeBound(filters.until),
    before: filters.before,
    limit,
  };
}

/** Identifies the filters without the page cursor, to remember paging under the same ones. */
export function historyFiltersKey(filters: HistoryFilters): string {
  const { before: _before, ...rest } = filters;
  return JSON.stringify(rest);
}

/** Whether any filter narrows the list (the empty state says so differently). */
export function isFiltered(filters: HistoryFilters): boolean {
  return Boolean(
    filters.job || filters.project || filters.user || filters.states.length || filters.since || filters.until,
  );
}

/** The list with `state` added, or removed when it is there; in the order of EXECUTION_STATES. */
export function toggleState(states: readonly ExecutionState[], state: ExecutionState): ExecutionState[] {
  const next = states.includes(state) ? states.filter((item) => item !== state) : [...states, state];
  return EXECUTION_STATES.filter((item) => next.includes(item));
}
