import { describe, expect, it } from 'vitest';
import {
  historyApiQuery,
  historyFiltersKey,
  isFiltered,
  readHistoryFilters,
  toggleState,
  unknownStates,
} from './history-query';

const filtersOf = (query: string) => readHistoryFilters(new URLSearchParams(query));

describe('History filters in the URL', () => {
  it('reads every filter and the page cursor from the URL', () => {
    const filters = filtersOf(
      'job=ops/restart&project=ops&user=alice&states=failed,timed_out&since=7d&until=1d&before=120',
    );
    expect(filters).toEqual({
      job: 'ops/restart',
      project: 'ops',
      user: 'alice',
      states: ['failed', 'timed_out'],
      since: '7d',
      until: '1d',
      before: '120',
    });
  });

  it('reads the single `state` of older links together with `states`, once each', () => {
    expect(filtersOf('state=running&states=running,queued').states).toEqual(['running', 'queued']);
  });

  it('keeps states that do not exist out of the query and reports them', () => {
    const params = new URLSearchParams('states=failed,broken');
    expect(readHistoryFilters(params).states).toEqual(['failed']);
    expect(unknownStates(params)).toEqual(['broken']);
  });

  it('asks the API with only the filters that are set', () => {
    expect(historyApiQuery(filtersOf(''))).toEqual({
      job: undefined,
      project: undefined,
      user: undefined,
      states: undefined,
      since: undefined,
      until: undefined,
      before: undefined,
      limit: 50,
    });
    expect(
      historyApiQuery(filtersOf('states=failed,timed_out&job=%20restart%20&since=24h&before=9')),
    ).toMatchObject({
      job: 'restart',
      states: 'failed,timed_out',
      since: '24h',
      before: '9',
    });
  });

  it('remembers paging per filter set, whatever the page', () => {
    expect(historyFiltersKey(filtersOf('user=alice&before=10'))).toBe(
      historyFiltersKey(filtersOf('user=alice')),
    );
    expect(historyFiltersKey(filtersOf('user=alice'))).not.toBe(historyFiltersKey(filtersOf('user=bob')));
  });

  it('tells a filtered view from the whole history; the page alone is no filter', () => {
    expect(isFiltered(filtersOf('before=10'))).toBe(false);
    expect(isFiltered(filtersOf('states=failed'))).toBe(true);
    expect(isFiltered(filtersOf('until=1d'))).toBe(true);
  });

  it('toggles a state in and out, in the order of the state list', () => {
    expect(toggleState(['failed'], 'queued')).toEqual(['queued', 'failed']);
    expect(toggleState(['queued', 'failed'], 'queued')).toEqual(['failed']);
  });
});
