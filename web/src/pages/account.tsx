/** Who am I, and my API tokens: create (the value is shown once), list, revoke. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreatedTokenResponse, TokenScopeView, TokensResponse } from '../../../src/contract/tokens.js';
import { del, get, post } from '../api/client';
import { ErrorMessage, Loading, PageHeader } from '../components/common';
import { formatAgo, formatTime } from '../format';
import { useUser } from '../session';

/** `run:job/ops/*` or `view` → a scope object, as the CLI's --scope reads it. */
export function parseScope(text: string): TokenScopeView {
  const at = text.indexOf(':');
  return at < 0 ? { action: text } : { action: text.slice(0, at), resource: text.slice(at + 1) };
}

export default function AccountPage() {
  const user = useUser();
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: ({ signal }) => get<TokensResponse>('/api/v1/tokens', {}, signal),
  });
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('90d');
  const [scopes, setScopes] = useState('');
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const create = useMutation({
    mutationFn: () =>
      post<CreatedTokenResponse>('/api/v1/tokens', {
        name,
        expires,
        ...(scopes.trim()
          ? {
              scopes: scopes
                .split(/[\s,]+/)
                .filter(Boolean)
                .map(parseScope),
            }
          : {}),
      }),
    onSuccess: (token) => {
      setCreated({ name: token.name, token: token.token });
      setName('');
      setScopes('');
      void queryClient.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => del(`/api/v1/tokens/${id}`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['tokens'] }),
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate();
  };

  return (
    <>
      <PageHeader title="Your account" />
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        {user.displayName && (
          <>
            <dt>Display name</dt>
            <dd>{user.displayName}</dd>
          </>
        )}
        <dt>Kind</dt>
        <dd>
          {user.kind === 'service' ? 'service account' : 'person'}
          {user.isAdmin ? ', administrator' : ''}
        </dd>
      </dl>

      <h2>API tokens</h2>
      <p className="muted">
        For the CLI and for programs: <code>export BATON_TOKEN=…</code> or <code>baton login --token …</code>.
      </p>
      <form className="filters" onSubmit={submit} aria-label="Create a token">
        <label className="grow">
          What it is for
          <input
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="laptop, ci deploy"
          />
        </label>
        <label>
          Expires after
          <select value={expires} onChange={(event) => setExpires(event.target.value)}>
            <option value="1d">1 day</option>
            <option value="30d">30 days</option>
            <option value="90d">90 days</option>
            <option value="365d">1 year</option>
          </select>
        </label>
        <label className="grow">
          Scopes (optional)
          <input
            value={scopes}
            onChange={(event) => setScopes(event.target.value)}
            placeholder="run:job/ops/*  read-logs"
          />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create token
        </button>
      </form>
      <ErrorMessage error={create.error} />
      {created && (
        <div className="notice" role="status">
          <p>
            Token <strong>{created.name}</strong> created. Copy it now: it is shown only this once.
          </p>
          <code className="token-value" data-testid="new-token">
            {created.token}
          </code>{' '}
          <button
            type="button"
            className="ghost"
            onClick={() => void navigator.clipboard?.writeText(created.token)}
          >
            Copy
          </button>
        </div>
      )}
      <ErrorMessage error={tokens.error ?? revoke.error} />
      {tokens.isPending ? (
        <Loading what="Loading tokens" />
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Starts with</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data?.tokens.map((token) => {
                const expired = token.expiresAt !== null && Date.parse(token.expiresAt) < Date.now();
                return (
                  <tr key={token.id} className={token.revokedAt || expired ? 'dim' : ''}>
                    <td>{token.name}</td>
                    <td>
                      <code>{token.prefix}…</code>
                    </td>
                    <td>
                      {token.scopes
                        ? token.scopes
                            .map((scope) =>
                              scope.resource ? `${scope.action}:${scope.resource}` : scope.action,
                            )
                            .join(' ')
                        : 'all you may do'}
                    </td>
                    <td title={formatTime(token.createdAt)}>{formatAgo(token.createdAt)}</td>
                    <td>{token.expiresAt ? formatTime(token.expiresAt) : 'never'}</td>
                    <td>{formatAgo(token.lastUsedAt)}</td>
                    <td>
                      {token.revokedAt ? (
                        <span className="muted">revoked</span>
                      ) : expired ? (
                        <span className="muted">expired</span>
                      ) : (
                        <button
                          type="button"
                          className="danger"
                          onClick={() => {
                            if (
                              confirm(`Revoke token "${token.name}"? Programs using it stop working at once.`)
                            )
                              revoke.mutate(token.id);
                          }}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
