/** Sign-in with a name and password, or with the organisation's OIDC provider when configured. */
import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useLocation, useSearch } from 'wouter';
import { ApiError, get } from '../api/client';
import type { SignInMethodsResponse } from '../../../src/contract/users.js';
import { useSession } from '../session';
import { safeReturnPath } from '../url-state';

export function SignInPage() {
  const { signIn } = useSession();
  const [, navigate] = useLocation();
  const returnTo = safeReturnPath(new URLSearchParams(useSearch()).get('returnTo'));
  const methods = useQuery({
    queryKey: ['sign-in-methods'],
    queryFn: () => get<SignInMethodsResponse>('/api/v1/sign-in/methods'),
  });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(name, password);
      navigate(returnTo, { replace: true });
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401) setError('Wrong name or password.');
      else if (caught instanceof ApiError && caught.status === 429)
        setError(`Too many failed attempts. Try again in ${Math.ceil((caught.retryAfter ?? 60) / 60)} min.`);
      else setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  };

  const oidc = methods.data?.oidc;
  return (
    <main className="sign-in" id="main">
      <h1>Baton</h1>
      <form onSubmit={(event) => void submit(event)} aria-label="Sign in">
        <label>
          Name
          <input
            name="name"
            autoComplete="username"
            required
            autoFocus
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {oidc && (
        <a className="button" href={`/api/v1/oidc/login?returnTo=${encodeURIComponent(returnTo)}`}>
          Sign in with {oidc.label}
        </a>
      )}
    </main>
  );
}
