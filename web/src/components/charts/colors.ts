/**
 * Chart colours come from the page's CSS custom properties, read when a chart is drawn, so a
 * chart always matches the theme in force (charts redraw when it changes).
 */

/** A colour of the theme: the name of a CSS custom property (`--ok`, `--chart-3`). */
export type ThemeColor = `--${string}`;

/** Team and job series take colours in this order (defined in charts.css for both themes). */
export const PALETTE: readonly ThemeColor[] = [
  '--chart-1',
  '--chart-2',
  '--chart-3',
  '--chart-4',
  '--chart-5',
  '--chart-6',
  '--chart-7',
  '--chart-8',
];

/** The value of a theme colour now; `fallback` when the stylesheet does not define it. */
export function themeColor(name: ThemeColor, fallback = '#888888'): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** The colour with some transparency, for fills under lines and the lighter of two overlaid bars. */
export function translucent(color: string, percent: number): string {
  return `color-mix(in srgb, ${color} ${percent}%, transparent)`;
}
