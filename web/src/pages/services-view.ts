/**
 * How the Services and Service pages read: filters from the URL, the sort, each service's worst
 * SLO health, and the geometry of the SLI and budget charts (plain SVG paths, no chart library).
 * Pure.
 */
import type { GateState, ServiceHealth, ServiceOwner, SloPoint, SloStatus } from '../api/slos';

export const GATE_CHOICES = ['open', 'approval', 'frozen'] as const satisfies readonly GateState['state'][];
export const HEALTH_CHOICES = [
  'ok',
  'burning',
  'exhausted',
  'no-data',
] as const satisfies readonly SloStatus['health'][];
export const SORT_KEYS = ['name', 'owner', 'lifecycle', 'attainment', 'budget', 'gate'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type ServiceHealthState = (typeof HEALTH_CHOICES)[number];

export interface ServicesFilters {
  /** A team, or `none` for services nobody owns. */
  owner: string;
  gate: GateState['state'] | '';
  health: ServiceHealthState | '';
  sort: SortKey;
  descending: boolean;
}

const pick = <T extends string>(choices: readonly T[], value: string | null): T | '' =>
  value !== null && (choices as readonly string[]).includes(value) ? (value as T) : '';

/** The filters and sort the URL holds; unknown values are ignored rather than matching nothing. */
export function readServicesFilters(params: URLSearchParams): ServicesFilters {
  const sort = pick(SORT_KEYS, params.get('sort'));
  return {
    owner: params.get('owner') ?? '',
    gate: pick(GATE_CHOICES, params.get('gate')),
    health: pick(HEALTH_CHOICES, params.get('health')),
    sort: sort === '' ? 'name' : sort,
    descending: params.get('dir') === 'desc',
  };
}

/** The owner as people read it: the team, or "no owner". */
export function ownerLabel(owner: ServiceOwner): string {
  return owner.kind === 'team' ? owner.team : 'no owner';
}

/** What the gate does, in the words of the page. */
export function gateLabel(state: GateState['state']): string {
  return state === 'approval' ? 'needs approval' : state;
}

const HEALTH_RANK: Record<ServiceHealthState, number> = { exhausted: 0, burning: 1, 'no-data': 2, ok: 3 };

/**
 * A service's health is its worst SLO's: exhausted, then burning, then no data, then ok. An SLO
 * not evaluated yet counts as no data; a service without SLOs has none (null).
 */
export function serviceHealth(service: Pick<ServiceHealth, 'slos'>): ServiceHealthState | null {
  let worst: ServiceHealthState | null = null;
  for (const slo of service.slos) {
    const health = slo.status?.health ?? 'no-data';
    if (worst === null || HEALTH_RANK[health] < HEALTH_RANK[worst]) worst = health;
  }
  return worst;
}

/** Whether the service shows under the filters. */
export function matchesFilters(service: ServiceHealth, filters: ServicesFilters): boolean {
  if (
    filters.owner === 'none'
      ? service.owner.kind !== 'none'
      : filters.owner !== '' && ownerLabel(service.owner) !== filters.owner
  )
    return false;
  if (filters.gate !== '' && service.gate.state !== filters.gate) return false;
  if (filters.health !== '' && serviceHealth(service) !== filters.health) return false;
  return true;
}

const GATE_RANK: Record<GateState['state'], number> = { frozen: 0, approval: 1, open: 2 };

function sortValue(service: ServiceHealth, key: SortKey): string | number | null {
  switch (key) {
    case 'name':
      return service.name;
    case 'owner':
      return service.owner.kind === 'team' ? service.owner.team : null;
    case 'lifecycle':
      return service.lifecycle;
    case 'attainment':
      return service.attainment;
    case 'budget':
      return service.budgetRemainingRatio;
    case 'gate':
      return GATE_RANK[service.gate.state];
  }
}

/**
 * The services in the chosen order; a service without the value (no data, no owner) goes last
 * whichever the direction, and ties go by name. Ascending attainment and budget put the services
 * in trouble first; the gate sorts frozen, approval, open.
 */
export function sortServices(
  services: readonly ServiceHealth[],
  key: SortKey,
  descending: boolean,
): ServiceHealth[] {
  return [...services].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1;
    } else {
      const order =
        typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (order !== 0) return descending ? -order : order;
    }
    return a.name.localeCompare(b.name);
  });
}

/** How a remaining budget looks: plenty, running low (a quarter or less), spent, or unknown. */
export function budgetTone(ratio: number | null): 'ok' | 'low' | 'out' | 'none' {
  if (ratio === null) return 'none';
  if (ratio <= 0) return 'out';
  return ratio <= 0.25 ? 'low' : 'ok';
}

/** A chart's drawing area, in SVG units. */
export interface ChartBox {
  width: number;
  height: number;
}

/** A line over time: `M x y L x y …`, broken where a value is missing. */
export function linePath(
  points: readonly { at: string; value: number | null }[],
  x: (ms: number) => number,
  y: (value: number) => number,
): string {
  let path = '';
  let drawing = false;
  for (const point of points) {
    if (point.value === null) {
      drawing = false;
      continue;
    }
    path += `${drawing ? 'L' : 'M'}${round(x(Date.parse(point.at)))} ${round(y(point.value))} `;
    drawing = true;
  }
  return path.trim();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A linear scale from [domainLow, domainHigh] onto [rangeLow, rangeHigh], clamped to the range. */
export function scale(domainLow: number, domainHigh: number, rangeLow: number, rangeHigh: number) {
  const span = domainHigh - domainLow || 1;
  return (value: number) => {
    const t = Math.min(1, Math.max(0, (value - domainLow) / span));
    return rangeLow + t * (rangeHigh - rangeLow);
  };
}

/**
 * The vertical extent of the SLI chart: up to 100%, and down far enough to show both the target
 * and the lowest SLI, with a margin of a fifth of the span so neither sits on the edge.
 */
export function sliDomain(points: readonly SloPoint[], target: number): [number, number] {
  const lowest = Math.min(target, ...points.flatMap((point) => (point.sli === null ? [] : [point.sli])));
  const span = Math.max(1 - lowest, 0.0005);
  return [Math.max(0, lowest - span * 0.2), 1];
}

/** The vertical extent of the burn-down: 0 to 100% of the budget, further down when overspent. */
export function budgetDomain(points: readonly SloPoint[]): [number, number] {
  const lowest = Math.min(
    0,
    ...points.flatMap((point) => (point.budgetRemainingRatio === null ? [] : [point.budgetRemainingRatio])),
  );
  return [
    lowest,
    Math.max(
      1,
      ...points.flatMap((point) => (point.budgetRemainingRatio === null ? [] : [point.budgetRemainingRatio])),
    ),
  ];
}

/** The time extent of the charts: the period when known, else the points'. */
export function timeDomain(
  points: readonly SloPoint[],
  period?: { start: string; end: string },
): [number, number] {
  if (period) return [Date.parse(period.start), Date.parse(period.end)];
  const times = points.map((point) => Date.parse(point.at));
  return times.length === 0 ? [0, 1] : [Math.min(...times), Math.max(...times)];
}
