/**
 * The one place uPlot meets React. A chart is built from a function of the theme's colours and
 * the width, so it is rebuilt when the theme changes (colours are read at draw time) and resized
 * with its container. Charts are pictures for sighted readers; each page shows the numbers in a
 * table too, and the chart carries a label saying what it shows.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';

/** Builds the chart's options for this width (everything but width and height). */
export type ChartBuilder = (width: number) => Omit<uPlot.Options, 'width' | 'height'>;

interface UPlotChartProps {
  /** Memoize it: a new function rebuilds the chart. */
  build: ChartBuilder;
  data: uPlot.AlignedData;
  height: number;
  /** What the chart shows, for screen readers (role="img"). */
  label: string;
}

export function UPlotChart({ build, data, height, label }: UPlotChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const theme = useThemeVersion();

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    let chart: uPlot | null = null;
    let width = 0;
    const draw = (nextWidth: number) => {
      width = Math.floor(nextWidth);
      if (width <= 0) return;
      chart?.destroy();
      chart = new uPlot({ ...build(width), width, height }, data, element);
    };
    draw(element.clientWidth);
    // Options such as label lengths depend on the width, so a new width builds anew; charts are
    // small (tens of points), and a rebuild costs about as much as a redraw.
    const observer = new ResizeObserver((entries) => {
      const next = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (next !== width) draw(next);
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart?.destroy();
    };
  }, [build, data, height, theme]);

  return (
    <div ref={container} className="chart" role="img" aria-label={label} style={{ minHeight: height }} />
  );
}

/** A number that changes whenever `data-theme` on the root element does. */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const observer = new MutationObserver(() => setVersion((current) => current + 1));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => observer.disconnect();
  }, []);
  return version;
}
