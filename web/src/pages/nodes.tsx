/**
 * Nodes: the machines jobs with `spec.nodes` run on, narrowed by the same run-time filter that
 * `baton run --nodes` takes (the server parses it, so its 400 is shown at the field), with how
 * each one's host key is checked; and the node sources that bring nodes from a file or a URL,
 * with a refresh on demand.
 */
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, get, post } from '../api/client';
import type { Node, NodeSource } from '../api/nodes';
import { Empty, ErrorMessage, Loading, PageHeader } from '../components/common';
import { useNow } from '../components/use-now';
import { formatAgo, formatTime } from '../format';
import { useUrlFilters } from '../url-state';
import { refusalReason } from './execution-view';
import { attributePairs, hostKeyStatus, sourceLocation } from './nodes-view';
import '../components/lists.css';
import './nodes.css';

/** Typing waits this long before the filter is sent, so each keystroke is not a request. */
const TYPING_PAUSE_MS = 300;

export default function NodesPage() {
  const [params, setParams] = useUrlFilters();
  const filter = (params.get('filter') ?? '').trim();
  const [typed, setTyped] = useState(params.get('filter') ?? '');
  useEffect(() => setTyped(params.get('filter') ?? ''), [params]);
  useEffect(() => {
    if (typed.trim() === filter) return;
    const timer = setTimeout(() => setParams({ filter: typed.trim() }), TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [typed, filter, setParams]);

  const nodes = useQuery({
    queryKey: ['nodes', filter],
    queryFn: ({ signal }) => get<{ nodes: Node[] }>('/api/v1/nodes', { filter }, signal),
    placeholderData: (previous) => previous,
    retry: (count, error) => !(error instanceof ApiError && error.status === 400) && count < 2,
  });
  const refused = nodes.error instanceof ApiError && nodes.error.status === 400 ? nodes.error : null;
  const shown = refused ? [] : (nodes.data?.nodes ?? []);

  return (
    <>
      <PageHeader title="Nodes" />
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label className="grow">
          Filter
          <input
            type="search"
            data-shortcut="search"
            className="mono"
            placeholder="tags=web,db name=web-* attr.env=prod  ( / )"
            value={typed}
            aria-invalid={refused ? true : undefined}
            aria-describedby={refused ? 'node-filter-error' : 'node-filter-help'}
            onChange={(event) => setTyped(event.target.value)}
          />
          {refused ? (
            <span id="node-filter-error" className="field-error" role="alert">
              {/* The server's message names the allowed keys already; its `expected` would repeat them. */}
              {refused.problems[0]?.message ?? refused.message}
            </span>
          ) : (
            <span id="node-filter-help" className="hint">
              The filter <code>baton run --nodes</code> takes: keys <code>name</code>, <code>tags</code>,{' '}
              <code>hostname</code>, <code>attr.KEY</code>; commas separate values.
            </span>
          )}
        </label>
      </form>
      {nodes.error && !refused && <ErrorMessage error={nodes.error} />}
      {nodes.isPending ? (
        <Loading what="Loading nodes" />
      ) : refused ? null : shown.length === 0 ? (
        <Empty>
          {filter ? (
            'No node you may see matches this filter.'
          ) : (
            <>
              No node you may see. Apply a <code>kind: Node</code> document, or a{' '}
              <code>kind: NodeSource</code> that lists nodes from a file or a URL.
            </>
          )}
        </Empty>
      ) : (
        <NodeTable nodes={shown} />
      )}
      <NodeSources />
    </>
  );
}

function NodeTable({ nodes }: { nodes: readonly Node[] }) {
  return (
    <div className="table-wrap">
      <table className="stacked-table node-table">
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">Address</th>
            <th scope="col">User</th>
            <th scope="col">Tags</th>
            <th scope="col">Attributes</th>
            <th scope="col">Source</th>
            <th scope="col">Host key</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((node) => {
            const hostKey = hostKeyStatus(node);
            const attributes = attributePairs(node.attributes);
            return (
              <tr key={node.name} data-node={node.name}>
                <td data-label="Node">
                  <strong className="mono">{node.name}</strong>
                </td>
                <td data-label="Address">
                  <code>
                    {node.hostname}:{node.port}
                  </code>
                </td>
                <td data-label="User">
                  <code>{node.user}</code>
                </td>
                <td data-label="Tags">
                  {node.tags.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <span className="chips">
                      {node.tags.map((tag) => (
                        <span key={tag} className="label">
                          {tag}
                        </span>
                      ))}
                    </span>
                  )}
                </td>
                <td data-label="Attributes">
                  {attributes.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <span className="chips">
                      {attributes.map((pair) => (
                        <code key={pair}>{pair}</code>
                      ))}
                    </span>
                  )}
                </td>
                <td data-label="Source">{node.source ?? <span className="muted">document</span>}</td>
                <td data-label="Host key">
                  <span className={`host-key host-key-${hostKey.tone}`} title={hostKey.detail ?? undefined}>
                    {hostKey.label}
                    {node.learnedHostKey && (
                      <code className="host-key-detail">{node.learnedHostKey.fingerprint}</code>
                    )}
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

function NodeSources() {
  const now = useNow(30_000);
  const sources = useQuery({
    queryKey: ['node-sources'],
    queryFn: ({ signal }) => get<{ sources: NodeSource[] }>('/api/v1/node-sources', {}, signal),
  });
  if (sources.isPending || (sources.data && sources.data.sources.length === 0 && !sources.error)) return null;
  return (
    <section aria-labelledby="sources-heading" className="node-sources">
      <h2 id="sources-heading">Node sources</h2>
      <ErrorMessage error={sources.error} />
      {sources.data && (
        <div className="table-wrap">
          <table className="stacked-table source-table">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Reads</th>
                <th scope="col">Nodes</th>
                <th scope="col">Last refresh</th>
                <th scope="col">Last success</th>
                <th scope="col">Last error</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sources.data.sources.map((source) => (
                <SourceRow key={source.name} source={source} now={now} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SourceRow({ source, now }: { source: NodeSource; now: number }) {
  const queryClient = useQueryClient();
  const refresh = useMutation({
    mutationFn: () =>
      post<{ source: NodeSource }>(`/api/v1/node-sources/${encodeURIComponent(source.name)}/refresh`),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ['node-sources'] }),
        queryClient.invalidateQueries({ queryKey: ['nodes'] }),
      ]),
  });
  const error = refresh.error;
  return (
    <tr data-source={source.name} className={source.lastError ? 'source-failing' : undefined}>
      <td data-label="Source">
        <strong className="mono">{source.name}</strong>
      </td>
      <td data-label="Reads">
        <span>
          <code className="source-location">{sourceLocation(source)}</code>{' '}
          <span className="muted">every {source.refresh}</span>
        </span>
      </td>
      <td data-label="Nodes" className="number">
        {source.nodeCount}
      </td>
      <td data-label="Last refresh">
        {source.lastRefreshAt ? (
          <time dateTime={source.lastRefreshAt} title={formatTime(source.lastRefreshAt)}>
            {formatAgo(source.lastRefreshAt, now)}
          </time>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td data-label="Last success">
        {source.lastSuccessAt ? (
          <time dateTime={source.lastSuccessAt} title={formatTime(source.lastSuccessAt)}>
            {formatAgo(source.lastSuccessAt, now)}
          </time>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td data-label="Last error">
        {source.lastError ? (
          <span className="source-error">{source.lastError}</span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td data-label="Actions">
        <span>
          <button type="button" disabled={refresh.isPending} onClick={() => refresh.mutate()}>
            {refresh.isPending ? 'Refreshing…' : 'Refresh now'}
          </button>
          {error instanceof ApiError && error.status === 403 ? (
            <span className="field-error" role="alert">
              You may not refresh it: {refusalReason(error.message)}. It takes <code>edit</code> on{' '}
              <code>nodesource/{source.name}</code>.
            </span>
          ) : error ? (
            <span className="field-error" role="alert">
              {error.message}
            </span>
          ) : null}
        </span>
      </td>
    </tr>
  );
}
