/**
 * Who is signed in. The session lives in an HttpOnly cookie the page cannot read; the page asks
 * GET /api/v1/session once, keeps the CSRF token in memory, and shows the sign-in page on a 401.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ApiError, setCsrfToken, whenUnauthenticated } from './api/client';
import type { SessionResponse, SessionUserView } from '../../src/contract/users.js';

interface SessionState {
  /** undefined while the first answer is awaited, null when nobody is signed in. */
  user: SessionUserView | null | undefined;
  signIn(name: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SessionUserView | null | undefined>(undefined);
  const queryClient = useQueryClient();

  const adopt = useCallback(
    (session: SessionResponse | null) => {
      setCsrfToken(session?.csrfToken ?? null);
      setUser(session?.user ?? null);
      if (!session) queryClient.clear();
    },
    [queryClient],
  );

  useEffect(() => {
    whenUnauthenticated(() => adopt(null));
    api<SessionResponse>('GET', '/api/v1/session', undefined, { quietUnauthenticated: true }).then(
      (session) => adopt(session),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 401) adopt(null);
        else setUser(null);
      },
    );
  }, [adopt]);

  const value = useMemo<SessionState>(
    () => ({
      user,
      async signIn(name, password) {
        const session = await api<SessionResponse>(
          'POST',
          '/api/v1/sign-in',
          { name, password },
          { quietUnauthenticated: true },
        );
        queryClient.clear();
        adopt(session);
      },
      async signOut() {
        await api('POST', '/api/v1/sign-out').catch(() => undefined);
        adopt(null);
      },
    }),
    [user, adopt, queryClient],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (!state) throw new Error('useSession outside SessionProvider');
  return state;
}

/** The signed-in user; only for pages rendered behind the sign-in gate. */
export function useUser(): SessionUserView {
  const { user } = useSession();
  if (!user) throw new Error('useUser without a signed-in user');
  return user;
}
