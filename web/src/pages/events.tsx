/**
 * Events: what hooks received and executions produced, newest first, with what each rule did and
 * the executions that followed; and, on their own tabs, the rules and the hooks (with the URL to
 * post to, never a key). Rules and hooks are documents applied with `baton apply -f`, so the page
 * reads them and points at the YAML rather than editing them.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api/client';
import type { EventPage, EventSummary, Hook, Rule } from '../api/events';
import { CursorTrail, type Cursor } from '../components/cursor-trail';
import { Empty, ErrorMessage, Loading, PageHeader } from '../components/common';
import { Pager } from '../components/pager';
import { useNow } from '../components/use-now';
import { formatAgo, formatBytes, formatTime } from '../format';
import { optionPairs } from './schedules-view';
import { useUrlFilters } from '../url-state';
import {
  causedExecutions,
  describeLimits,
  describeTrigger,
  hookUrl,
  outcomeTone,
  ruleJobPath,
} from './events-view';
import '../components/lists.css';
import './events.css';

/** Paging memory for Newer, kept while the app is open. */
const trail = new CursorTrail();

/** New events arrive without anyone asking: the first page is read again this often. */
const REFRESH_MS = 10_000;

const TABS = [
  { key: 'events', label: 'Events' },
  { key: 'rules', label: 'Rules' },
  { key: 'hooks', label: 'Hooks' },
] as const;

export default function EventsPage() {
  const [params, setParams] = useUrlFilters();
  const tab = TABS.find((candidate) => candidate.key === params.get('show'))?.key ?? 'events';
  const project = params.get('project') ?? '';
  // Rules and hooks give the choices of the filters, and fill their own tabs.
  const rules = useQuery({
    queryKey: ['rules'],
    queryFn: ({ signal }) => get<{ rules: Rule[] }>('/api/v1/rules', {}, signal),
  });
  const hooks = useQuery({
    queryKey: ['hooks'],
    queryFn: ({ signal }) => get<{ hooks: Hook[] }>('/api/v1/hooks', {}, signal),
  });
  const projects = [
    ...new Set([
      ...(rules.data?.rules ?? []).map((rule) => rule.project),
      ...(hooks.data?.hooks ?? []).map((hook) => hook.project),
    ]),
  ].sort();

  return (
    <>
      <PageHeader title="Events" />
      <nav className="tabs" aria-label="Events, rules and hooks">
        {TABS.map((candidate) => (
          <Link
            key={candidate.key}
            href={`/events${candidate.key === 'events' ? '' : `?show=${candidate.key}`}${
              project ? `${candidate.key === 'events' ? '?' : '&'}project=${encodeURIComponent(project)}` : ''
            }`}
            className={candidate.key === tab ? 'tab active' : 'tab'}
            aria-current={candidate.key === tab ? 'page' : undefined}
          >
            {candidate.label}
            {candidate.key === 'rules' && rules.data ? ` (${rules.data.rules.length})` : ''}
            {candidate.key === 'hooks' && hooks.data ? ` (${hooks.data.hooks.length})` : ''}
          </Link>
        ))}
      </nav>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Project
          <select
            value={project}
            onChange={(event) =>
              setParams({ project: event.target.value, hook: undefined, before: undefined })
            }
          >
            <option value="">all</option>
            {projects.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        {tab === 'events' && (
          <label>
            Hook
            <select
              value={project && params.get('hook') ? `${project}/${params.get('hook')}` : ''}
              onChange={(event) => {
                // A hook's name is unique in its project only: choosing one chooses its project too.
                const [hookProject, hookName] = event.target.value.split('/');
                setParams({
                  project: hookName ? hookProject : project,
                  hook: hookName,
                  before: undefined,
                });
              }}
            >
              <option value="">all</option>
              {(hooks.data?.hooks ?? [])
                .filter((hook) => project === '' || hook.project === project)
                .map((hook) => (
                  <option key={`${hook.project}/${hook.name}`} value={`${hook.project}/${hook.name}`}>
                    {project ? hook.name : `${hook.project}/${hook.name}`}
                  </option>
                ))}
            </select>
          </label>
        )}
      </form>
      {tab === 'events' && <EventList project={project} hook={params.get('hook') ?? ''} />}
      {tab === 'rules' && (
        <RuleList
          rules={(rules.data?.rules ?? []).filter((rule) => !project || rule.project === project)}
          pending={rules.isPending}
          error={rules.error}
        />
      )}
      {tab === 'hooks' && (
        <HookList
          hooks={(hooks.data?.hooks ?? []).filter((hook) => !project || hook.project === project)}
          pending={hooks.isPending}
          error={hooks.error}
        />
      )}
    </>
  );
}

function EventList({ project, hook }: { project: string; hook: string }) {
  const [params, setParams] = useUrlFilters();
  const before = params.get('before') || undefined;
  const now = useNow(30_000);
  const query = { project, hook, cursor: before, limit: 50 };
  const filtersKey = JSON.stringify({ project, hook });
  const events = useQuery({
    queryKey: ['events', query],
    queryFn: ({ signal }) => get<EventPage>('/api/v1/events', query, signal),
    placeholderData: (previous) => previous,
    refetchInterval: before === undefined ? REFRESH_MS : false,
  });
  const goToPage = (cursor: Cursor) => setParams({ before: cursor }, { push: true });
  if (events.isPending) return <Loading what="Loading events" />;
  if (events.error) return <ErrorMessage error={events.error} />;
  const shown = events.data.events;
  return (
    <>
      {shown.length === 0 ? (
        <Empty>
          {project || hook
            ? 'No event matches these filters.'
            : 'No event you may see yet. Apply a kind: Hook and point Alertmanager (or any webhook) at its URL; see the Hooks tab.'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="stacked-table event-table">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Received</th>
                <th scope="col">From</th>
                <th scope="col">Summary</th>
                <th scope="col">Rules</th>
                <th scope="col">Executions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((event) => (
                <EventRow key={event.id} event={event} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        label="Pages of events"
        before={before}
        next={events.data.next}
        trail={trail}
        filtersKey={filtersKey}
        go={goToPage}
      />
    </>
  );
}

function EventRow({ event, now }: { event: EventSummary; now: number }) {
  const executions = causedExecutions(event.matches);
  return (
    <tr data-event={event.id}>
      <td data-label="Event">
        <Link href={`/events/${event.id}`} className="id">
          #{event.id}
        </Link>
      </td>
      <td data-label="Received">
        <time dateTime={event.receivedAt} title={formatTime(event.receivedAt)}>
          {formatAgo(event.receivedAt, now)}
        </time>
      </td>
      <td data-label="From">
        <span>
          {event.hook === null ? (
            <span className="muted">execution in {event.project}</span>
          ) : (
            <>
              <span className="muted">{event.project}/</span>
              {event.hook}
            </>
          )}{' '}
          <span className="label">{event.format}</span>
        </span>
      </td>
      <td data-label="Summary" className="event-summary-cell">
        <span title={`fingerprint ${event.fingerprint} · ${formatBytes(event.payloadBytes)}`}>
          {event.summary}
        </span>
      </td>
      <td data-label="Rules">
        {event.matches.length === 0 ? (
          <span className="muted">no rule matched</span>
        ) : (
          <ul className="match-list">
            {event.matches.map((match, index) => (
              <li key={`${match.rule}-${index}`} title={match.reason ?? undefined}>
                <span className={`rule-outcome outcome-${outcomeTone(match.outcome)}`}>{match.outcome}</span>{' '}
                <span className="muted">{match.rule}</span>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td data-label="Executions">
        {executions.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <span className="execution-links">
            {executions.map((id) => (
              <Link key={id} href={`/executions/${id}`}>
                #{id}
              </Link>
            ))}
          </span>
        )}
      </td>
    </tr>
  );
}

function RuleList({ rules, pending, error }: { rules: readonly Rule[]; pending: boolean; error: unknown }) {
  if (pending) return <Loading what="Loading rules" />;
  if (error) return <ErrorMessage error={error} />;
  if (rules.length === 0) {
    return (
      <Empty>
        No rule you may see. A <code>kind: Rule</code> document fires a job on a hook&apos;s events or on a
        job&apos;s finished executions.
      </Empty>
    );
  }
  return (
    <div className="table-wrap">
      <table className="stacked-table rule-table">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">On</th>
            <th scope="col">When</th>
            <th scope="col">Runs</th>
            <th scope="col">Limits</th>
            <th scope="col">Runs as</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((rule) => {
            const limits = describeLimits(rule);
            const options = optionPairs(rule.options);
            return (
              <tr
                key={`${rule.project}/${rule.name}`}
                className={rule.enabled ? undefined : 'disabled'}
                data-rule={`${rule.project}/${rule.name}`}
              >
                <td data-label="Rule">
                  <span>
                    <strong className="mono">
                      <span className="muted">{rule.project}/</span>
                      {rule.name}
                    </strong>
                    {!rule.enabled && <span className="label">disabled</span>}
                    {rule.description && <span className="rule-description">{rule.description}</span>}
                  </span>
                </td>
                <td data-label="On">{describeTrigger(rule.on)}</td>
                <td data-label="When">
                  {rule.when ? (
                    <code className="rule-when">{rule.when}</code>
                  ) : (
                    <span className="muted">every event</span>
                  )}
                </td>
                <td data-label="Runs">
                  <span>
                    <Link href={ruleJobPath(rule)}>{rule.job}</Link>
                    {options.length > 0 && (
                      <span className="rule-options">
                        {options.map((pair) => (
                          <code key={pair}>{pair}</code>
                        ))}
                      </span>
                    )}
                  </span>
                </td>
                <td data-label="Limits">{limits ?? <span className="muted">none</span>}</td>
                <td data-label="Runs as">
                  <span
                    title={
                      rule.runAs
                        ? `spec.runAs; applied by ${rule.updatedBy} ${formatTime(rule.updatedAt)}`
                        : `whoever applied it last (${formatTime(rule.updatedAt)})`
                    }
                  >
                    {rule.owner}
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function HookList({ hooks, pending, error }: { hooks: readonly Hook[]; pending: boolean; error: unknown }) {
  if (pending) return <Loading what="Loading hooks" />;
  if (error) return <ErrorMessage error={error} />;
  if (hooks.length === 0) {
    return (
      <Empty>
        No hook you may see. A <code>kind: Hook</code> document opens a URL that Alertmanager or any webhook
        can post events to.
      </Empty>
    );
  }
  return (
    <>
      <div className="table-wrap">
        <table className="stacked-table hook-table">
          <thead>
            <tr>
              <th scope="col">Hook</th>
              <th scope="col">Format</th>
              <th scope="col">Key</th>
              <th scope="col">Post to</th>
            </tr>
          </thead>
          <tbody>
            {hooks.map((hook) => (
              <tr key={`${hook.project}/${hook.name}`} data-hook={`${hook.project}/${hook.name}`}>
                <td data-label="Hook">
                  <span>
                    <strong className="mono">
                      <span className="muted">{hook.project}/</span>
                      {hook.name}
                    </strong>
                    {hook.description && <span className="rule-description">{hook.description}</span>}
                  </span>
                </td>
                <td data-label="Format">{hook.format}</td>
                <td data-label="Key">
                  <span>
                    {hook.auth === 'token' ? 'bearer token' : 'HMAC signature'}{' '}
                    <span
                      className="muted"
                      title="the secret path holding the key; the key itself is never shown"
                    >
                      from secret <code>{hook.secret}</code>
                    </span>
                  </span>
                </td>
                <td data-label="Post to">
                  <code className="hook-url">{hookUrl(window.location.origin, hook.path)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="hint">
        Alertmanager sends the token as{' '}
        <code>
          authorization: {'{'} type: Bearer, credentials: … {'}'}
        </code>{' '}
        in its webhook&apos;s <code>http_config</code>. Bodies over a hook&apos;s limit are refused (413).
      </p>
    </>
  );
}
