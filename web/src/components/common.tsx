/** Small pieces every page uses: state badges, errors, loading and empty states, page headers. */
import type { ReactNode } from 'react';
import { formatProblem } from '../../../src/contract/errors.js';
import { ApiError } from '../api/client';
import { formatState } from '../format';

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`state state-${state}`} data-state={state}>
      {formatState(state)}
    </span>
  );
}

/** An API error as the API said it, with the field paths it named. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const problems = error instanceof ApiError ? error.problems : [];
  return (
    <div className="error" role="alert">
      <p>{message}</p>
      {problems.length > 1 && (
        <ul>
          {problems.map((problem, index) => (
            // The same line the CLI prints: file:line:column, the field, what was expected.
            <li key={index}>
              <code>{formatProblem(problem)}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="muted" aria-busy="true">
      {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>;
}

export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1>{title}</h1>
      {children && <div className="page-actions">{children}</div>}
    </header>
  );
}

/** A number with a label, for the summaries at the top of pages. */
export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="stat" title={hint}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  );
}
