/**
 * Filters live in the URL's query, so every view can be bookmarked and shared. Setting a filter
 * replaces the history entry (typing in a search box must not fill the back button).
 */
import { useCallback, useMemo } from 'react';
import { useLocation, useSearch } from 'wouter';

export type Filters = Record<string, string | undefined>;

export function useUrlFilters(): [URLSearchParams, (changes: Filters, options?: { push?: boolean }) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const update = useCallback(
    (changes: Filters, options: { push?: boolean } = {}) => {
      const next = new URLSearchParams(window.location.search);
      for (const [key, value] of Object.entries(changes)) {
        if (value === undefined || value === '') next.delete(key);
        else next.set(key, value);
      }
      const query = next.toString();
      navigate(query ? `${location}?${query}` : location, { replace: !options.push });
    },
    [location, navigate],
  );
  return [params, update];
}

/** A path on this site to return to after sign-in; anything else (another site) gives `/jobs`. */
export function safeReturnPath(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/jobs';
  return value;
}
