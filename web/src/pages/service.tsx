/**
 * One service: what the budget gate does now and why, then each SLO with its SLI and the budget
 * burn-down over the period (changes and corrections marked on both), its burn rates, open alerts
 * and the recent changes with what each cost. The charts are small inline SVG: a chart library
 * would weigh more than this whole page.
 */
import { useQuery } from '@tanstack/react-query';
import { Fragment } from 'react';
import { Link } from 'wouter';
import { get } from '../api/client';
import type {
  ChangeCost,
  Correction,
  ServicesHealthList,
  SloDetail,
  SloPoint,
  SloSummary,
} from '../api/slos';
import { Empty, ErrorMessage, Loading, PageHeader, Stat } from '../components/common';
import { formatTime } from '../format';
import {
  formatBudgetNatural,
  formatBurnRate,
  formatPercent,
  formatSli,
  formatTarget,
} from '../../../src/contract/slo-format.js';
import { formatDurationForUi } from '../../../src/contract/time.js';
import {
  budgetDomain,
  budgetTone,
  gateLabel,
  linePath,
  ownerLabel,
  scale,
  sliDomain,
  timeDomain,
} from './services-view';
import './services.css';

const REFRESH_MS = 60_000;

export default function ServicePage({ name }: { name: string }) {
  const services = useQuery({
    queryKey: ['services-health'],
    queryFn: ({ signal }) => get<ServicesHealthList>('/api/v1/services/health', {}, signal),
    refetchInterval: REFRESH_MS,
  });
  if (services.isPending) return <Loading what="Loading the service" />;
  if (services.error) return <ErrorMessage error={services.error} />;
  const service = services.data.services.find((candidate) => candidate.name === name);
  if (!service) {
    return (
      <>
        <PageHeader title={name} />
        <Empty>
          No service named {name} that you may see. <Link href="/services">All services</Link>
        </Empty>
      </>
    );
  }
  const { gate } = service;
  return (
    <>
      <PageHeader
        title={
          <>
            <Link href="/services" className="muted plain">
              services/
            </Link>
            {service.name}
          </>
        }
      />
      {service.description && <p className="lead">{service.description}</p>}
      <section className="stats" aria-label="Service health">
        <Stat label="owner" value={ownerLabel(service.owner)} />
        <Stat
          label="lifecycle"
          value={service.lifecycle ?? '—'}
          hint={service.lifecycle ? undefined : 'named by SLO documents only'}
        />
        <Stat label="attainment" value={formatPercent(service.attainment, '—')} hint="lowest SLI ÷ target" />
        <Stat
          label="budget left"
          value={
            <span className={`budget budget-${budgetTone(service.budgetRemainingRatio)}`}>
              {formatPercent(service.budgetRemainingRatio, '—')}
            </span>
          }
          hint="the lowest over its SLOs"
        />
        <Stat
          label="gate"
          value={<span className={`gate gate-state-${gate.state}`}>{gateLabel(gate.state)}</span>}
        />
      </section>
      <p className={`gate-banner gate-${gate.state}`} role="status" aria-label="Budget gate">
        <strong>Budget gate: {gateLabel(gate.state)}.</strong>{' '}
        {gate.reason === null
          ? 'Changes run without an extra approval while the error budget lasts.'
          : sentence(gate.reason)}
        {gate.policy && (
          <span className="muted">
            {' '}
            (policy {gate.policy}
            {gate.rule ? `, rule ${gate.rule}` : ''})
          </span>
        )}
      </p>
      <h2>SLOs</h2>
      {service.slos.length === 0 ? (
        <Empty>
          This service has no SLO. Apply an SLO document (baton/v1, OpenSLO or Sloth) that names it.
        </Empty>
      ) : (
        service.slos.map((slo) => <SloCard key={slo.slo} summary={slo} />)
      )}
    </>
  );
}

function SloCard({ summary }: { summary: SloSummary }) {
  const detail = useQuery({
    queryKey: ['slo', summary.slo],
    queryFn: ({ signal }) =>
      get<SloDetail>(
        `/api/v1/slos/${encodeURIComponent(summary.service)}/${encodeURIComponent(summary.name)}`,
        {},
        signal,
      ),
    refetchInterval: REFRESH_MS,
  });
  const status = summary.status;
  const title = summary.displayName ?? summary.name;
  return (
    <article className="slo-card" aria-label={`SLO ${summary.name}`}>
      <h3>{title}</h3>
      <p className="muted">
        {summary.slo} · target {formatTarget(summary.target)} · {summary.format}
        {status ? ` · ${status.window} · ${status.budgetingMethod}` : ''}
      </p>
      {status === null ? (
        <p className="muted">Not evaluated yet.</p>
      ) : (
        <>
          <dl className="facts">
            <dt>SLI</dt>
            <dd>{formatSli(status.sli, '—')}</dd>
            <dt>Budget left</dt>
            <dd>
              <span className={`budget budget-${budgetTone(status.budgetRemainingRatio)}`}>
                {formatPercent(status.budgetRemainingRatio, '—')}
              </span>
              {status.objectives[0]?.budget && (
                <span className="muted"> · {formatBudgetNatural(status.objectives[0].budget, '—')}</span>
              )}
            </dd>
            <dt>Health</dt>
            <dd>
              {status.health}
              {status.noDataSince && (
                <span className="muted"> · no data since {formatTime(status.noDataSince)}</span>
              )}
            </dd>
            <dt>Exhausted</dt>
            <dd>
              {status.budgetRemainingRatio !== null && status.budgetRemainingRatio <= 0
                ? 'already: no budget left'
                : status.timeToExhaustionMs === null
                  ? 'not at the current rate'
                  : `in ${formatDurationForUi(status.timeToExhaustionMs)} at the 1 h burn rate`}
            </dd>
          </dl>
          {status.lastError && (
            <p className="error" role="alert">
              {status.lastError}
            </p>
          )}
          <h4>Burn rates</h4>
          <ul className="burn-rates" aria-label="Burn rates">
            {status.burnRates.map((rate) => (
              <li key={rate.window} className={rate.rate !== null && rate.rate > 1 ? 'hot' : undefined}>
                {rate.window}: {formatBurnRate(rate.rate, '—')}
              </li>
            ))}
          </ul>
        </>
      )}
      <ErrorMessage error={detail.error} />
      {detail.data && <SloHistoryView detail={detail.data} />}
    </article>
  );
}

function SloHistoryView({ detail }: { detail: SloDetail }) {
  const period = detail.status
    ? { start: detail.status.periodStart, end: detail.status.periodEnd }
    : undefined;
  // The evaluation's own list is what is open now; the history's is the fallback before the first.
  const openAlerts = detail.status?.openAlerts ?? detail.alerts.filter((alert) => alert.resolvedAt === null);
  return (
    <>
      <div className="slo-charts">
        <SloChart
          title="SLI"
          points={detail.series}
          value={(point) => point.sli}
          domain={sliDomain(detail.series, detail.target)}
          reference={{
            value: detail.target,
            className: 'target',
            label: `target ${formatTarget(detail.target)}`,
          }}
          current={detail.status?.sli ?? null}
          period={period}
          changes={detail.changes}
          corrections={detail.corrections}
        />
        <SloChart
          title="Budget left"
          points={detail.series}
          value={(point) => point.budgetRemainingRatio}
          domain={budgetDomain(detail.series)}
          reference={{ value: 0, className: 'zero', label: 'budget spent' }}
          current={detail.status?.budgetRemainingRatio ?? null}
          period={period}
          changes={detail.changes}
          corrections={detail.corrections}
        />
      </div>
      <h4>Open alerts</h4>
      {openAlerts.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul>
          {openAlerts.map((alert) => (
            <li key={alert.id}>
              <strong>{alert.severity}</strong> since {formatTime(alert.openedAt)}: {alert.summary}
            </li>
          ))}
        </ul>
      )}
      {detail.corrections.length > 0 && (
        <>
          <h4>Corrections</h4>
          <ul>
            {detail.corrections.map((correction) => (
              <li key={correction.id}>
                {formatTime(correction.startsAt)} –{' '}
                {correction.endsAt ? formatTime(correction.endsAt) : 'open'}: {correction.reason}{' '}
                <span className="muted">({correction.createdBy})</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <h4>Recent changes</h4>
      {detail.changes.length === 0 ? (
        <p className="muted">No change execution in this period.</p>
      ) : (
        <div className="table-wrap">
          <table className="stacked-table changes-table">
            <thead>
              <tr>
                <th scope="col">Execution</th>
                <th scope="col">Job</th>
                <th scope="col">By</th>
                <th scope="col">State</th>
                <th scope="col">At</th>
                <th scope="col">Budget cost</th>
              </tr>
            </thead>
            <tbody>
              {detail.changes.map((change) => (
                <tr key={change.executionId}>
                  <td data-label="Execution">
                    <Link href={`/executions/${change.executionId}`}>#{change.executionId}</Link>
                  </td>
                  <td data-label="Job">{change.job}</td>
                  <td data-label="By">{change.requestedBy}</td>
                  <td data-label="State">{change.state}</td>
                  <td data-label="At">{formatTime(change.at)}</td>
                  <td data-label="Budget cost">
                    {change.budgetConsumedRatio === null
                      ? '—'
                      : `${formatPercent(change.budgetConsumedRatio)} in ${change.hours} h`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const BOX = { width: 480, height: 140, left: 4, right: 4, top: 6, bottom: 6 };

function SloChart({
  title,
  points,
  value,
  domain,
  reference,
  current,
  period,
  changes,
  corrections,
}: {
  title: string;
  points: readonly SloPoint[];
  value: (point: SloPoint) => number | null;
  domain: [number, number];
  reference: { value: number; className: string; label: string };
  /** The latest evaluation, drawn as a point at the end while there is no series yet. */
  current: number | null;
  period: { start: string; end: string } | undefined;
  changes: readonly ChangeCost[];
  corrections: readonly Correction[];
}) {
  const [start, end] = timeDomain(points, period);
  // Widened to hold the latest value, so an overspent budget is not drawn at the floor.
  const low = current === null ? domain[0] : Math.min(domain[0], current);
  const x = scale(start, end, BOX.left, BOX.width - BOX.right);
  const y = scale(low, domain[1], BOX.height - BOX.bottom, BOX.top);
  const line = linePath(
    points.map((point) => ({ at: point.at, value: value(point) })),
    x,
    y,
  );
  return (
    <figure className="slo-chart" aria-label={`${title} chart`}>
      <figcaption>
        {title}, {formatTime(new Date(start).toISOString())} to {formatTime(new Date(end).toISOString())}
        {points.length === 0 && ' — no data yet'}
      </figcaption>
      <svg viewBox={`0 0 ${BOX.width} ${BOX.height}`} role="img" aria-label={`${title} over the period`}>
        <rect className="frame" x={0.5} y={0.5} width={BOX.width - 1} height={BOX.height - 1} />
        {corrections.map((correction) => {
          const from = x(Date.parse(correction.startsAt));
          const to = correction.endsAt ? x(Date.parse(correction.endsAt)) : BOX.width - BOX.right;
          return (
            <rect
              key={correction.id}
              className="correction"
              data-kind="correction"
              x={from}
              y={BOX.top}
              width={Math.max(1, to - from)}
              height={BOX.height - BOX.top - BOX.bottom}
            >
              <title>Correction: {correction.reason}</title>
            </rect>
          );
        })}
        <line
          className={reference.className}
          x1={BOX.left}
          x2={BOX.width - BOX.right}
          y1={y(reference.value)}
          y2={y(reference.value)}
        >
          <title>{reference.label}</title>
        </line>
        {changes.map((change) => (
          <Fragment key={change.executionId}>
            <line
              className="change"
              data-kind="change"
              x1={x(Date.parse(change.at))}
              x2={x(Date.parse(change.at))}
              y1={BOX.top}
              y2={BOX.height - BOX.bottom}
            >
              <title>
                Change #{change.executionId} {change.job} by {change.requestedBy}
              </title>
            </line>
          </Fragment>
        ))}
        {line && <path className="line" d={line} />}
        {!line && current !== null && (
          <circle className="current" cx={x(end)} cy={y(current)} r={3}>
            <title>now</title>
          </circle>
        )}
      </svg>
    </figure>
  );
}

/** The policy's reason starts in lower case, to follow a colon; here it starts a sentence. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
