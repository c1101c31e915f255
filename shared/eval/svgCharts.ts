// svgCharts: the report's inline SVG charts — category bars (real vs synthetic, every category named),
// histograms with titled axes, and heatmaps with a colour legend — laid out so no two labels overlap.
//
// Every chart is `<svg class="chart" data-chart=KIND data-series=N>`; tick labels carry class
// `tick x|y`, axis titles `axis-title x|y`, legends are a `<g class="legend">`. Labels are horizontal
// or vertical only (no slanted text), so their boxes are exact and a browser test can check overlaps.
import { esc, fmt, pct } from './htmlFormat.js';

/** Approximate advance of one character at the 10px axis font (DejaVu Sans digits are 6.4px). */
const CHAR = 6.4;
const textWidth = (s: string): number => s.length * CHAR;

/** Shortens a label to at most `max` characters (with an ellipsis). */
export function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A data series: a name for the legend, a colour and one value per category or bin. */
export interface Series {
  readonly name: string;
  readonly colour: string;
  readonly values: readonly number[];
}

function legend(x: number, y: number, series: readonly { readonly name: string; readonly colour: string }[]): string {
  let cx = x;
  let out = '<g class="legend">';
  for (const s of series) {
    out += `<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${s.colour}"/><text x="${cx + 14}" y="${y}" class="legend-label">${esc(s.name)}</text>`;
    cx += 14 + textWidth(s.name) + 14;
  }
  return out + '</g>';
}

function figure(svg: string, caption: string, cls = ''): string {
  return `<figure${cls ? ` class="${cls}"` : ''}>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** A tick label's text, with the full label on hover when it was shortened. */
const tickText = (shown: string, full: string): string => (shown === full ? esc(shown) : `${esc(shown)}<title>${esc(full)}</title>`);

/** Three ticks 0, max/2, max on a value axis. */
const ticks3 = (max: number): number[] => [0, max / 2, max];

/**
 * Horizontal grouped bars: one row per category, named on the left (full name on hover), one bar per
 * series; x = share of rows with ticks in percent. Used for column distributions.
 */
export function categoryBars(column: string, labels: readonly string[], series: readonly Series[], width = 360): string {
  const k = labels.length;
  const maxLabel = 22;
  const shown = labels.map((l) => clip(l, maxLabel));
  const labelW = Math.max(...shown.map(textWidth), textWidth('0')) + 8;
  const left = 6 + labelW;
  const right = 24; // half of the widest tick label ("100.0%") past the last tick
  const top = 38; // row 1: the y-axis title (the column), row 2: the legend
  const rowH = k > 20 ? 12 : 16;
  const plotH = k * rowH;
  const height = top + plotH + 38;
  const plotW = width - left - right;
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const barH = (rowH - 3) / series.length;
  let bars = '';
  for (let i = 0; i < k; i++) {
    series.forEach((s, j) => {
      const w = (plotW * s.values[i]) / max;
      bars += `<rect x="${left}" y="${(top + i * rowH + 1 + j * barH).toFixed(2)}" width="${w.toFixed(2)}" height="${barH.toFixed(2)}" fill="${s.colour}"><title>${esc(column)} = ${esc(labels[i])}: ${esc(s.name)} ${pct(s.values[i])}</title></rect>`;
    });
  }
  const yTicks = shown.map((l, i) => `<text x="${left - 4}" y="${(top + i * rowH + rowH / 2 + 3.5).toFixed(1)}" text-anchor="end" class="tick y">${tickText(l, labels[i])}</text>`).join('');
  const xTicks = ticks3(max)
    .map((v) => `<text x="${(left + (plotW * v) / max).toFixed(1)}" y="${top + plotH + 17}" text-anchor="middle" class="tick x">${pct(v)}</text>`)
    .join('');
  const axes = `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#999"/><line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#999"/>`;
  const titles =
    `<text x="4" y="12" class="axis-title y">${esc(clip(column, 40))}</text>` +
    `<text x="${left + plotW / 2}" y="${height - 4}" text-anchor="middle" class="axis-title x">share of rows</text>`;
  const svg =
    `<svg class="chart" data-chart="category" data-series="${series.length}" data-categories="${k}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(column)}">` +
    `${titles}${legend(4, 28, series)}${axes}${bars}${yTicks}${xTicks}</svg>`;
  return figure(svg, column, 'small');
}

/** Options of a single-series vertical bar chart. */
export interface HistogramOptions {
  readonly title: string;
  readonly values: readonly number[];
  /** Hover text per bar. */
  readonly barLabels: readonly string[];
  /** Tick labels on the x axis: at bar centres (`at` = bar index) or bar edges (`at` = index - 0.5). */
  readonly xTicks: readonly { readonly at: number; readonly label: string }[];
  readonly xTitle: string;
  readonly yTitle: string;
  readonly colour: string;
  readonly width?: number;
  readonly height?: number;
  /** Decimals of the y tick labels (0 for counts). */
  readonly yDigits?: number;
}

/** The two axis lines and the axis titles (y rotated at the left edge, x under the plot). */
function axesAndTitles(b: { left: number; top: number; plotW: number; plotH: number; height: number }, xTitle: string, yTitle: string): { axes: string; titles: string } {
  const { left, top, plotW, plotH, height } = b;
  return {
    axes: `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#999"/><line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#999"/>`,
    titles:
      `<text transform="translate(11,${(top + plotH / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" class="axis-title y">${esc(yTitle)}</text>` +
      `<text x="${(left + plotW / 2).toFixed(1)}" y="${height - 5}" text-anchor="middle" class="axis-title x">${esc(xTitle)}</text>`,
  };
}

/** Vertical bars of one series with titled axes and y ticks (no legend: one series). */
export function histogram(o: HistogramOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 200;
  const max = Math.max(1e-9, ...o.values);
  const digits = o.yDigits ?? 2;
  const yLabels = ticks3(max).map((v) => fmt(v, digits));
  const left = 18 + Math.max(...yLabels.map(textWidth)) + 6;
  const right = 16;
  const top = 10;
  const bottom = o.xTicks.length ? 40 : 22;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const n = Math.max(1, o.values.length);
  const bw = plotW / n;
  let bars = '';
  o.values.forEach((v, i) => {
    const bh = (plotH * v) / max;
    bars += `<rect x="${(left + i * bw).toFixed(2)}" y="${(top + plotH - bh).toFixed(2)}" width="${Math.max(0.5, bw - 1).toFixed(2)}" height="${bh.toFixed(2)}" fill="${o.colour}"><title>${esc(o.barLabels[i] ?? '')}: ${fmt(v, digits)}</title></rect>`;
  });
  const yTicks = ticks3(max)
    .map((v, i) => `<text x="${left - 4}" y="${(top + plotH - (plotH * v) / max + 3.5).toFixed(1)}" text-anchor="end" class="tick y">${yLabels[i]}</text>`)
    .join('');
  const xTicks = o.xTicks
    .map((t) => `<text x="${(left + (t.at + 0.5) * bw).toFixed(1)}" y="${top + plotH + 17}" text-anchor="middle" class="tick x">${esc(t.label)}</text>`)
    .join('');
  const { axes, titles } = axesAndTitles({ left, top, plotW, plotH, height }, o.xTitle, o.yTitle);
  const svg =
    `<svg class="chart" data-chart="histogram" data-series="1" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(o.title)}">` +
    `${axes}${bars}${yTicks}${xTicks}${titles}</svg>`;
  return figure(svg, o.title);
}

/** Colour of a heatmap cell: sequential (0..1, white to blue) or diverging (clipped at +-clip, blue/red). */
export function heatColour(v: number, diverging: boolean, clipAt = 0.3): string {
  if (diverging) {
    const t = Math.max(-1, Math.min(1, v / clipAt));
    const [r, g, b] = t >= 0 ? [255, Math.round(255 - 170 * t), Math.round(255 - 200 * t)] : [Math.round(255 + 200 * t), Math.round(255 + 120 * t), 255];
    return `rgb(${r},${g},${b})`;
  }
  const t = Math.max(0, Math.min(1, Math.abs(v)));
  return `rgb(${Math.round(247 - 200 * t)},${Math.round(251 - 150 * t)},${Math.round(255 - 75 * t)})`;
}

/** Vertical colour bar with three ticks, drawn from discrete steps (no gradients: no url() references). */
function colourLegend(x: number, y: number, h: number, diverging: boolean, title: string): string {
  const steps = 24;
  const [lo, hi] = diverging ? [-0.3, 0.3] : [0, 1];
  let out = `<g class="legend">`;
  for (let s = 0; s < steps; s++) {
    const v = hi - ((hi - lo) * (s + 0.5)) / steps;
    out += `<rect x="${x}" y="${(y + (h * s) / steps).toFixed(2)}" width="12" height="${(h / steps + 0.3).toFixed(2)}" fill="${heatColour(v, diverging)}"/>`;
  }
  const labels = diverging ? ['≥ +0.3', '0', '≤ −0.3'] : ['1', '0.5', '0'];
  labels.forEach((l, i) => {
    out += `<text x="${x + 16}" y="${(y + (h * i) / 2 + 3.5).toFixed(1)}" class="tick legend-tick">${l}</text>`;
  });
  out += `<text transform="translate(${x + 62},${(y + h / 2).toFixed(1)}) rotate(-90)" text-anchor="middle" class="legend-label">${esc(title)}</text>`;
  return out + '</g>';
}

/** A column-by-column heatmap with column names on both axes and a colour legend. */
export function heatmap(title: string, columns: readonly string[], values: readonly number[], diverging: boolean, legendTitle: string): string {
  const m = columns.length;
  const cell = 18;
  const maxLabel = 16;
  const shown = columns.map((c) => clip(c, maxLabel));
  const labelW = Math.max(...shown.map(textWidth)) + 6;
  const left = labelW + 4;
  const top = labelW + 4;
  const plot = m * cell;
  const width = left + plot + 12 + 12 + 60;
  const height = top + plot + 8;
  let cells = '';
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j];
      cells += `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${heatColour(v, diverging)}"><title>${esc(columns[i])} × ${esc(columns[j])}: ${fmt(v)}</title></rect>`;
    }
  }
  let labels = '';
  shown.forEach((c, i) => {
    labels += `<text x="${left - 4}" y="${top + i * cell + 12.5}" text-anchor="end" class="tick y">${tickText(c, columns[i])}</text>`;
    labels += `<text transform="translate(${left + i * cell + 12.5},${top - 4}) rotate(-90)" class="tick x">${tickText(c, columns[i])}</text>`;
  });
  const svg =
    `<svg class="chart" data-chart="heatmap" data-series="1" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">` +
    `${cells}${labels}${colourLegend(left + plot + 12, top, plot, diverging, legendTitle)}</svg>`;
  return figure(svg, title);
}

/** Options of a line chart over a log2 x axis (epsilon): one line per series, every point marked. */
export interface LineChartOptions {
  readonly title: string;
  /** x positions (> 0), one per point, ascending; every one is a labelled x tick. */
  readonly x: readonly number[];
  /** Series values aligned with `x`; null = not measured at that point (gap). */
  readonly series: readonly { readonly name: string; readonly colour: string; readonly values: readonly (number | null)[] }[];
  readonly xTitle: string;
  readonly yTitle: string;
  /** Value axis range; default [0, max of the data rounded up]. */
  readonly yMax?: number;
  /** Label each point of the first series with its value. */
  readonly labelFirst?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/** Lines with marked points on a log2 x axis, titled axes, 5 y ticks and a legend (privacy-utility plan). */
export function lineChart(o: LineChartOptions): string {
  const width = o.width ?? 560;
  const height = o.height ?? 240;
  const all = o.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const rawMax = o.yMax ?? Math.max(1e-9, ...all);
  const step = niceStep(rawMax / 4);
  const max = o.yMax ?? step * Math.ceil(rawMax / step - 1e-9);
  const yTickValues = [0, 1, 2, 3, 4].map((i) => (max * i) / 4);
  // Fewest decimals that print every tick exactly (0.25 -> 2, 0.05 -> 2, 5 -> 0).
  const digits = [0, 1, 2, 3, 4].find((d) => yTickValues.every((v) => Math.abs(Math.round(v * 10 ** d) / 10 ** d - v) < 1e-9)) ?? 4;
  const yLabels = yTickValues.map((v) => fmt(v, digits));
  const left = 18 + Math.max(...yLabels.map(textWidth)) + 6;
  const right = 24;
  const top = 26;
  const bottom = 40;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const lx = o.x.map((v) => Math.log2(v));
  const x0 = Math.min(...lx);
  const x1 = Math.max(...lx);
  const pad = 24; // the first and last points sit inside the axes, their labels clear of the y ticks
  const px = (i: number): number => left + pad + (x1 > x0 ? ((lx[i] - x0) / (x1 - x0)) * (plotW - 2 * pad) : (plotW - 2 * pad) / 2);
  const py = (v: number): number => top + plotH - (plotH * Math.min(v, max)) / max;
  let grid = '';
  yTickValues.forEach((v, i) => {
    const y = py(v).toFixed(1);
    grid += `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#eee"/>`;
    grid += `<text x="${left - 4}" y="${(py(v) + 3.5).toFixed(1)}" text-anchor="end" class="tick y">${yLabels[i]}</text>`;
  });
  const xTicks = o.x.map((v, i) => `<text x="${px(i).toFixed(1)}" y="${top + plotH + 17}" text-anchor="middle" class="tick x">${esc(String(v))}</text>`).join('');
  let lines = '';
  o.series.forEach((s, si) => {
    let path = '';
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      path += `${path === '' ? 'M' : 'L'}${px(i).toFixed(1)},${py(v).toFixed(1)}`;
      lines += `<circle cx="${px(i).toFixed(1)}" cy="${py(v).toFixed(1)}" r="3" fill="${s.colour}"><title>${esc(s.name)} at ${o.x[i]}: ${fmt(v, 3)}</title></circle>`;
      if (si === 0 && o.labelFirst) lines += `<text x="${px(i).toFixed(1)}" y="${(py(v) - 7).toFixed(1)}" text-anchor="middle" class="point-label">${fmt(v, 3)}</text>`;
    });
    if (path) lines = `<path d="${path}" fill="none" stroke="${s.colour}" stroke-width="2"/>` + lines;
  });
  const { axes, titles } = axesAndTitles({ left, top, plotW, plotH, height }, o.xTitle, o.yTitle);
  const svg =
    `<svg class="chart" data-chart="line" data-series="${o.series.length}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(o.title)}">` +
    `${grid}${axes}${lines}${xTicks}${titles}${legend(left, 14, o.series)}</svg>`;
  return figure(svg, o.title);
}

/** 1, 2 or 5 times a power of ten, at least `x`. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
