/**
 * Services: every service the user may see, from the catalog and from SLO documents alone, with
 * its owner (or none), lifecycle, SLO attainment, the budget it has left and what the budget gate
 * does now. Filters and the sort live in the URL, so any view can be shared.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { get } from '../api/client';
import type { ServiceHealth, ServicesHealthList } from '../api/slos';
import { Empty, ErrorMessage, Loading, PageHeader } from '../components/common';
import { formatPercent } from '../../../src/contract/slo-format.js';
import { useUrlFilters } from '../url-state';
import {
  budgetTone,
  GATE_CHOICES,
  gateLabel,
  HEALTH_CHOICES,
  matchesFilters,
  ownerLabel,
  readServicesFilters,
  serviceHealth,
  sortServices,
  type SortKey,
} from './services-view';
import '../components/lists.css';
import './services.css';

/** The evaluation runs every minute; asking as often keeps the page as fresh as the numbers. */
const REFRESH_MS = 60_000;

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'name', label: 'Service' },
  { key: 'owner', label: 'Owner' },
  { key: 'lifecycle', label: 'Lifecycle' },
  { key: 'attainment', label: 'Attainment' },
  { key: 'budget', label: 'Budget left' },
  { key: 'gate', label: 'Gate' },
];

export default function ServicesPage() {
  const [params, setParams] = useUrlFilters();
  const filters = readServicesFilters(params);
  const services = useQuery({
    queryKey: ['services-health'],
    queryFn: ({ signal }) => get<ServicesHealthList>('/api/v1/services/health', {}, signal),
    refetchInterval: REFRESH_MS,
  });
  const all = services.data?.services ?? [];
  const owners = [
    ...new Set(all.flatMap((service) => (service.owner.kind === 'team' ? [service.owner.team] : []))),
  ].sort();
  const shown = sortServices(
    all.filter((service) => matchesFilters(service, filters)),
    filters.sort,
    filters.descending,
  );
  const filtered = filters.owner !== '' || filters.gate !== '' || filters.health !== '';
  const sortBy = (key: SortKey) =>
    setParams({
      sort: key === 'name' ? undefined : key,
      dir: filters.sort === key && !filters.descending ? 'desc' : undefined,
    });

  return (
    <>
      <PageHeader title="Services">
        {filtered && (
          <button
            type="button"
            onClick={() => setParams({ owner: undefined, gate: undefined, health: undefined })}
          >
            Clear filters
          </button>
        )}
      </PageHeader>
      <form className="filters services-filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label>
          Owner
          <select value={filters.owner} onChange={(event) => setParams({ owner: event.target.value })}>
            <option value="">anyone</option>
            <option value="none">no owner</option>
            {owners.map((owner) => (
              <option key={owner}>{owner}</option>
            ))}
            {filters.owner !== '' && filters.owner !== 'none' && !owners.includes(filters.owner) && (
              <option>{filters.owner}</option>
            )}
          </select>
        </label>
        <label>
          Gate
          <select value={filters.gate} onChange={(event) => setParams({ gate: event.target.value })}>
            <option value="">any</option>
            {GATE_CHOICES.map((state) => (
              <option key={state} value={state}>
                {gateLabel(state)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Health
          <select value={filters.health} onChange={(event) => setParams({ health: event.target.value })}>
            <option value="">any</option>
            {HEALTH_CHOICES.map((health) => (
              <option key={health}>{health}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorMessage error={services.error} />
      {services.isPending ? (
        <Loading what="Loading services" />
      ) : shown.length === 0 ? (
        <Empty>
          {filtered
            ? 'No service matches these filters.'
            : 'No service you may see. Services are applied as baton/v1 Service documents, or named by SLO documents.'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="stacked-table services-table">
            <thead>
              <tr>
                {COLUMNS.map((column) => {
                  const sorted = filters.sort === column.key;
                  return (
                    <th
                      key={column.key}
                      scope="col"
                      aria-sort={sorted ? (filters.descending ? 'descending' : 'ascending') : undefined}
                    >
                      <button type="button" className="sort" onClick={() => sortBy(column.key)}>
                        {column.label}
                        <span aria-hidden="true">{sorted ? (filters.descending ? ' ▾' : ' ▴') : ''}</span>
                      </button>
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {shown.map((service) => (
                <ServiceRow key={service.name} service={service} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function ServiceRow({ service }: { service: ServiceHealth }) {
  const health = serviceHealth(service);
  return (
    <tr className={service.gate.state === 'open' ? undefined : `gate-${service.gate.state}`}>
      <td data-label="Service">
        <span>
          <Link href={`/services/${encodeURIComponent(service.name)}`} className="service-name">
            {service.name}
          </Link>
          {service.description && <span className="muted service-description"> {service.description}</span>}
        </span>
      </td>
      <td data-label="Owner">
        {service.owner.kind === 'team' ? (
          service.owner.team
        ) : (
          <span className="muted">{ownerLabel(service.owner)}</span>
        )}
      </td>
      <td data-label="Lifecycle">{service.lifecycle ?? <span className="muted">—</span>}</td>
      <td data-label="Attainment">
        <span>
          {formatPercent(service.attainment, '—')}{' '}
          <span className="muted">
            {service.slos.length} SLO{service.slos.length === 1 ? '' : 's'}
            {health && health !== 'ok' ? ` · ${health}` : ''}
          </span>
        </span>
      </td>
      <td data-label="Budget left">
        <span className={`budget budget-${budgetTone(service.budgetRemainingRatio)}`}>
          {formatPercent(service.budgetRemainingRatio, '—')}
        </span>
      </td>
      <td data-label="Gate">
        <span className={`gate gate-state-${service.gate.state}`} title={service.gate.reason ?? undefined}>
          {gateLabel(service.gate.state)}
        </span>
      </td>
    </tr>
  );
}
