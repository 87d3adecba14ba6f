/**
 * The charts the UI draws, on uPlot: bars and lines over UTC days, and horizontal bars per
 * category (a job, a team). Each takes plain numbers and theme colour names.
 */
import { useCallback, useMemo } from 'react';
import uPlot from 'uplot';
import { themeColor, translucent, type ThemeColor } from './colors';
import {
  COUNT_STEPS,
  dayStartSeconds,
  DURATION_STEPS_MS,
  formatDayTick,
  formatDurationTick,
  shorten,
  stackForOverdraw,
} from './series';
import { UPlotChart } from './uplot-chart';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: ThemeColor;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const HALF_DAY_S = 43_200;

/** Axis colours of the theme in force. */
function axisStyle(): Pick<uPlot.Axis, 'stroke' | 'font' | 'grid' | 'ticks'> {
  const border = themeColor('--border');
  return {
    stroke: themeColor('--muted'),
    font: FONT,
    grid: { stroke: border, width: 1 },
    ticks: { stroke: border, width: 1, size: 4 },
  };
}

/** Day labels in UTC, as the API counts days, whatever the reader's time zone. */
const utc = (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC');

/** The x series of day charts: the legend names the UTC day hovered. */
const DAY_SERIES: uPlot.Series = {
  label: 'Day',
  value: (_u, seconds: number | null) =>
    seconds == null ? '—' : new Date(seconds * 1000).toISOString().slice(0, 10),
};

/** The day axis: `14 Mar` ticks, spaced so that labels never overlap. */
const DAY_AXIS = (): uPlot.Axis => ({
  ...axisStyle(),
  space: 56,
  incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400],
  values: (_u, ticks) => ticks.map(formatDayTick),
});

/** From zero to a little above the highest count, so the tallest bar does not touch the top. */
const countRange = (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [
  0,
  Math.max(1, Math.ceil(max * 1.08)),
];

/** Quiet interaction: hovering shows values in the legend; no drag-to-zoom on a handful of bars. */
const CURSOR: uPlot.Cursor = { drag: { x: false, y: false, setScale: false }, points: { show: false } };

interface DayChartProps {
  /** UTC days, oldest first (`2025-03-14`), every day of the window. */
  days: string[];
  series: ChartSeries[];
  label: string;
  height?: number;
  /** How a value reads on the axis and in the legend. */
  format?: (value: number) => string;
  /** Fixed value range (0–100 for rates); counts start at 0 and grow with the data. */
  range?: [number, number];
}

/** Bars per day, stacked in the order given (the first series at the top of each bar). */
export function DayStackedBars({ days, series, label, height = 220, format = String }: DayChartProps) {
  const data = useMemo<uPlot.AlignedData>(() => {
    const stacked = stackForOverdraw(series.map((item) => item.values.map((value) => value ?? 0)));
    return [days.map(dayStartSeconds), ...stacked];
  }, [days, series]);
  const build = useCallback(
    () => ({
      tzDate: utc,
      cursor: CURSOR,
      legend: { live: true },
      scales: {
        x: {
          time: true,
          range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [
            min - HALF_DAY_S,
            max + HALF_DAY_S,
          ],
        },
        y: { range: countRange },
      },
      axes: [
        DAY_AXIS(),
        {
          ...axisStyle(),
          incrs: COUNT_STEPS,
          values: (_u: uPlot, ticks: number[]) => ticks.map(format),
          size: 44,
        },
      ],
      series: [
        DAY_SERIES,
        ...series.map((item, index) => ({
          label: item.label,
          fill: themeColor(item.color),
          stroke: themeColor(item.color),
          width: 0,
          paths: uPlot.paths.bars!({ size: [0.7, 40], gap: 1 }),
          points: { show: false },
          // The legend shows this series' own value, not the stacked height it is drawn at.
          value: (_u: uPlot, _stacked: number | null, _seriesIndex: number, at: number | null) =>
            at === null ? '—' : format(series[index]!.values[at] ?? 0),
        })),
      ],
    }),
    [series, format],
  );
  return <UPlotChart build={build} data={data} height={height} label={label} />;
}

/** Lines per day; a missing value (null) leaves a gap rather than pretending a zero. */
export function DayLines({ days, series, label, height = 220, format = String, range }: DayChartProps) {
  const data = useMemo<uPlot.AlignedData>(
    () => [days.map(dayStartSeconds), ...series.map((item) => item.values)],
    [days, series],
  );
  const build = useCallback(
    () => ({
      tzDate: utc,
      cursor: { ...CURSOR, points: { show: true } },
      legend: { live: true },
      scales: {
        x: {
          time: true,
          range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [
            min - HALF_DAY_S,
            max + HALF_DAY_S,
          ],
        },
        y: {
          range: range ? () => range : countRange,
        },
      },
      axes: [
        DAY_AXIS(),
        {
          ...axisStyle(),
          ...(range ? {} : { incrs: COUNT_STEPS }),
          values: (_u: uPlot, ticks: number[]) => ticks.map(format),
          size: 48,
        },
      ],
      series: [
        DAY_SERIES,
        ...series.map((item) => ({
          label: item.label,
          stroke: themeColor(item.color),
          width: 2,
          spanGaps: false,
          points: { show: true, size: 5, fill: themeColor(item.color) },
          value: (_u: uPlot, value: number | null) => (value == null ? '—' : format(value)),
        })),
      ],
    }),
    [series, format, range],
  );
  return <UPlotChart build={build} data={data} height={height} label={label} />;
}

interface CategoryBarsProps {
  categories: string[];
  /**
   * Drawn over each other in this order, each narrower than the one before: one series is a
   * plain bar chart; two show a second measure inside the first (p50 within p95).
   */
  series: ChartSeries[];
  label: string;
  format?: (value: number) => string;
  /** Which series' values are written at the end of the bars. */
  labelSeries?: number;
  /** What a category is, for the legend (`Job`). */
  categoryLabel: string;
  /** Run times get round ticks in seconds, minutes and hours; counts get whole numbers. */
  kind?: 'count' | 'duration';
}

const ROW_PX = 30;

/** Horizontal bars, one row per category, the first category at the top. */
export function CategoryBars({
  categories,
  series,
  label,
  format = String,
  labelSeries = 0,
  categoryLabel,
  kind = 'count',
}: CategoryBarsProps) {
  const data = useMemo<uPlot.AlignedData>(
    () => [categories.map((_category, index) => index), ...series.map((item) => item.values)],
    [categories, series],
  );
  const height = categories.length * ROW_PX + 60;
  const build = useCallback(
    (width: number) => {
      // Room for the names: at most 40% of the width, about 7 px a character.
      const nameWidth = Math.min(Math.floor(width * 0.4), 240);
      const maxChars = Math.max(6, Math.floor((nameWidth - 12) / 7));
      const text = themeColor('--text');
      return {
        cursor: CURSOR,
        // Room on the right for the value written at the end of the longest bar.
        padding: [8, 76, 0, 0] as uPlot.Padding,
        legend: { live: true, show: series.length > 1 },
        scales: {
          // Categories run down the side: index 0 at the top.
          x: {
            time: false,
            ori: 1 as const,
            dir: -1 as const,
            range: (): uPlot.Range.MinMax => [-0.5, categories.length - 0.5],
          },
          y: {
            ori: 0 as const,
            dir: 1 as const,
            range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max) * 1.02],
          },
        },
        axes: [
          {
            ...axisStyle(),
            stroke: text,
            side: 3 as const,
            size: nameWidth,
            gap: 6,
            grid: { show: false },
            ticks: { show: false },
            splits: () => categories.map((_category, index) => index),
            values: (_u: uPlot, ticks: number[]) =>
              ticks.map((tick) => shorten(categories[tick] ?? '', maxChars)),
          },
          {
            ...axisStyle(),
            side: 2 as const,
            space: 70,
            incrs: kind === 'duration' ? DURATION_STEPS_MS : COUNT_STEPS,
            values: (_u: uPlot, ticks: number[]) =>
              ticks.map(kind === 'duration' ? formatDurationTick : String),
          },
        ],
        series: [
          {
            label: categoryLabel,
            value: (_u: uPlot, index: number | null) => (index == null ? '—' : (categories[index] ?? '')),
          },
          ...series.map((item, index) => {
            const color = themeColor(item.color);
            return {
              label: item.label,
              stroke: color,
              fill: index === 0 && series.length > 1 ? translucent(color, 45) : color,
              width: 0,
              points: { show: false },
              paths: uPlot.paths.bars!({ size: [index === 0 ? 0.7 : 0.35, index === 0 ? 22 : 11] }),
              value: (_u: uPlot, value: number | null) => (value == null ? '—' : format(value)),
            };
          }),
        ],
        hooks: {
          // The value at the end of each bar, so the chart reads without hovering.
          draw: [
            (u: uPlot) => {
              const values = u.data[labelSeries + 1];
              if (!values) return;
              const { ctx } = u;
              ctx.save();
              ctx.fillStyle = text;
              ctx.font = FONT.replace('12px', `${Math.round(12 * devicePixelRatio)}px`);
              ctx.textBaseline = 'middle';
              // uPlot leaves the alignment of its last axis label on the context.
              ctx.textAlign = 'left';
              values.forEach((value, index) => {
                if (value == null) return;
                const x = u.valToPos(value, 'y', true) + 6 * devicePixelRatio;
                const y = u.valToPos(index, 'x', true);
                ctx.fillText(format(value), x, y);
              });
              ctx.restore();
            },
          ],
        },
      };
    },
    [categories, series, format, labelSeries, categoryLabel, kind],
  );
  return <UPlotChart build={build} data={data} height={height} label={label} />;
}
