/**
 * The shell: navigation, theme, keyboard shortcuts and the routes. Pages that carry heavy code
 * (the log view, the charts) load on first visit, so the first page stays small.
 */
import { Fragment, lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { Loading } from './components/common';
import { CatalogPage } from './pages/catalog';
import { JobPage } from './pages/job';
import { SignInPage } from './pages/sign-in';
import { useSession } from './session';
import { applyTheme, initialTheme, type Theme } from './theme';

/** Pages loaded on first visit, keyed by the first segment of their path. */
const PAGE_LOADERS = {
  executions: () => import('./pages/execution'),
  history: () => import('./pages/history'),
  approvals: () => import('./pages/approvals'),
  schedules: () => import('./pages/schedules'),
  events: () => import('./pages/events'),
  event: () => import('./pages/event'),
  nodes: () => import('./pages/nodes'),
  services: () => import('./pages/services'),
  service: () => import('./pages/service'),
  workers: () => import('./pages/workers'),
  audit: () => import('./pages/audit'),
  usage: () => import('./pages/usage'),
  account: () => import('./pages/account'),
};
const ExecutionPage = lazy(PAGE_LOADERS.executions);
const HistoryPage = lazy(PAGE_LOADERS.history);
const ApprovalsPage = lazy(PAGE_LOADERS.approvals);
const SchedulesPage = lazy(PAGE_LOADERS.schedules);
const EventsPage = lazy(PAGE_LOADERS.events);
const EventPage = lazy(PAGE_LOADERS.event);
const NodesPage = lazy(PAGE_LOADERS.nodes);
const ServicesPage = lazy(PAGE_LOADERS.services);
const ServicePage = lazy(PAGE_LOADERS.service);
const WorkersPage = lazy(PAGE_LOADERS.workers);
const AuditPage = lazy(PAGE_LOADERS.audit);
const UsagePage = lazy(PAGE_LOADERS.usage);
const AccountPage = lazy(PAGE_LOADERS.account);

/**
 * Fetches the opened page's code while the session is still being asked for, instead of after:
 * a link to an execution shows its log sooner (React also holds a lazy page's reveal back for a
 * moment once its fallback is showing). The execution page, where every run lands, is fetched
 * when the browser is idle.
 */
function preloadPages(pathname: string): void {
  const [, first, second] = pathname.split('/');
  const key =
    first === 'executions' && second === undefined
      ? 'history'
      : first === 'events' && second !== undefined
        ? 'event'
        : first === 'services' && second !== undefined
          ? 'service'
          : first;
  if (key && key in PAGE_LOADERS) void PAGE_LOADERS[key as keyof typeof PAGE_LOADERS]();
  const idle = window.requestIdleCallback ?? ((callback: () => void) => setTimeout(callback, 1000));
  idle(() => void PAGE_LOADERS.executions());
}
preloadPages(window.location.pathname);

const NAVIGATION = [
  { path: '/jobs', label: 'Jobs', key: 'j' },
  { path: '/executions', label: 'History', key: 'h' },
  { path: '/approvals', label: 'Approvals', key: 'a' },
  { path: '/schedules', label: 'Schedules', key: 's' },
  { path: '/events', label: 'Events', key: 'e' },
  { path: '/nodes', label: 'Nodes', key: 'n' },
  { path: '/services', label: 'Services', key: 'v' },
  { path: '/usage', label: 'Usage', key: 'u' },
  { path: '/workers', label: 'Workers', key: 'w' },
] as const;

export function App() {
  const { user } = useSession();
  const [location] = useLocation();
  if (user === undefined) return <Loading what="Starting" />;
  if (user === null) {
    return location === '/sign-in' ? (
      <SignInPage />
    ) : (
      <Redirect to={`/sign-in?returnTo=${encodeURIComponent(location + window.location.search)}`} />
    );
  }
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/">
            <Redirect to="/jobs" />
          </Route>
          <Route path="/sign-in">
            <Redirect to="/jobs" />
          </Route>
          <Route path="/jobs" component={CatalogPage} />
          <Route path="/jobs/:project/:name">
            {(params) => <JobPage project={params.project} name={params.name} />}
          </Route>
          <Route path="/executions" component={HistoryPage} />
          <Route path="/executions/:id">{(params) => <ExecutionPage id={Number(params.id)} />}</Route>
          <Route path="/approvals" component={ApprovalsPage} />
          <Route path="/schedules" component={SchedulesPage} />
          <Route path="/events" component={EventsPage} />
          <Route path="/events/:id">{(params) => <EventPage id={Number(params.id)} />}</Route>
          <Route path="/nodes" component={NodesPage} />
          <Route path="/services" component={ServicesPage} />
          <Route path="/services/:name">{(params) => <ServicePage name={params.name} />}</Route>
          <Route path="/workers" component={WorkersPage} />
          <Route path="/audit" component={AuditPage} />
          <Route path="/usage" component={UsagePage} />
          <Route path="/account" component={AccountPage} />
          <Route>
            <p className="error">No page at {location}.</p>
          </Route>
        </Switch>
      </Suspense>
    </Shell>
  );
}

function Shell({ children }: { children: React.ReactNode }) {
  const { user, signOut } = useSession();
  const [location, navigate] = useLocation();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => applyTheme(theme, false), [theme]);
  const [helpOpen, setHelpOpen] = useState(false);
  const showHelp = useCallback(() => setHelpOpen(true), []);
  useKeyboardShortcuts(navigate, showHelp);
  useEffect(() => setMenuOpen(false), [location]);

  const links = [...NAVIGATION, ...(user?.isAdmin ? [{ path: '/audit', label: 'Audit', key: 't' }] : [])];
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="topbar" aria-label="Main">
        <Link href="/jobs" className="brand">
          Baton
        </Link>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav-links"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <ul id="nav-links" className={menuOpen ? 'nav-links open' : 'nav-links'}>
          {links.map((link) => (
            <li key={link.path}>
              <Link
                href={link.path}
                className={location === link.path || location.startsWith(`${link.path}/`) ? 'active' : ''}
                title={`g ${link.key}`}
              >
                {link.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="nav-end">
          <button
            type="button"
            className="ghost"
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={() => {
              const next = theme === 'dark' ? 'light' : 'dark';
              applyTheme(next, true);
              setTheme(next);
            }}
          >
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <Link href="/account" className="user" title="Your account and tokens">
            {user?.displayName ?? user?.name}
            {user?.isAdmin ? ' (admin)' : ''}
          </Link>
          <button type="button" className="ghost" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </nav>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      {helpOpen && <ShortcutHelp onClose={() => setHelpOpen(false)} />}
    </div>
  );
}

const SHORTCUTS: [string, string][] = [
  ['/', 'search on this page'],
  ...NAVIGATION.map((item): [string, string] => [`g ${item.key}`, item.label]),
  ['g t', 'Audit (admins)'],
  ['g m', 'Your account and tokens'],
  ['?', 'this help'],
];

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    dialog?.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} className="shortcuts" aria-labelledby="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl className="facts">
        {SHORTCUTS.map(([keys, what]) => (
          <Fragment key={keys}>
            <dt>
              <kbd>{keys}</kbd>
            </dt>
            <dd>{what}</dd>
          </Fragment>
        ))}
      </dl>
      <form method="dialog">
        <button type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}

/**
 * `g` then a letter goes to a page (as in GitHub and Gmail), `/` focuses the page's search,
 * `?` lists the shortcuts. Keys typed into a field are the field's.
 */
function useKeyboardShortcuts(navigate: (to: string) => void, showHelp: () => void) {
  useEffect(() => {
    let pendingG = false;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
      if (event.key === '/') {
        const search = document.querySelector<HTMLInputElement>('[data-shortcut="search"]');
        if (search) {
          event.preventDefault();
          search.focus();
        }
        return;
      }
      if (pendingG) {
        pendingG = false;
        const link = [...NAVIGATION, { path: '/audit', key: 't' }, { path: '/account', key: 'm' }].find(
          (item) => item.key === event.key,
        );
        if (link) navigate(link.path);
        return;
      }
      if (event.key === '?') showHelp();
      if (event.key === 'g') pendingG = true;
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate, showHelp]);
}
