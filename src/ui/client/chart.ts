/// <reference lib="dom" />
/**
 * Stacked SVG bar charts without a library (`BarChart` on the server): reads the figure's
 * `data-chart` (`{series, points, unit}`) and draws into its `.chart-plot`. Colours come from
 * the stylesheet (`.bar-N`), so the chart follows the theme. `drawChart` redraws a figure with
 * new data (live dashboards). The drawing is hidden from screen readers: the figure's table
 * has the same figures.
 *
 * @module
 */

import { formatBytes, formatCount } from "./format.ts";
import { localTime } from "./time.ts";

/** A chart's data (the server's `ChartData`). */
export interface ChartData {
  series: string[];
  points: { label: string; values: number[] }[];
  unit: "count" | "bytes";
  /** Labels are ISO times, written as the hour in the browser's time zone. */
  times?: boolean;
}

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 180;
const LEFT = 56;
const BOTTOM = 22;
const TOP = 8;

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten (of 1024 for bytes). */
export function niceMax(max: number, unit: "count" | "bytes"): number {
  if (max <= 0) return 1;
  const base = unit === "bytes" ? 1024 : 10;
  const p = Math.pow(base, Math.floor(Math.log(max) / Math.log(base)));
  for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]) if (m * p >= max) return m * p;
  return max;
}

/** Draws (or redraws) `figure` with `data`. */
export function drawChart(figure: HTMLElement, data: ChartData): void {
  const plot = figure.querySelector(".chart-plot") ?? figure;
  const fmt = data.unit === "bytes" ? formatBytes : formatCount;
  const totals = data.points.map((p) => p.values.reduce((a, b) => a + b, 0));
  const max = niceMax(Math.max(0, ...totals), data.unit);
  const plotW = W - LEFT;
  const plotH = H - TOP - BOTTOM;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, "aria-hidden": "true", focusable: "false" });
  for (const f of [0, 0.5, 1]) {
    const y = TOP + plotH * (1 - f);
    svg.append(el("line", { class: "axis", x1: LEFT, x2: W, y1: y, y2: y }));
    const t = el("text", { x: LEFT - 6, y: y + 4, "text-anchor": "end" });
    t.textContent = fmt(max * f);
    svg.append(t);
  }
  const n = Math.max(1, data.points.length);
  const band = plotW / n;
  const barW = Math.max(1, band * 0.7);
  const every = Math.ceil(n / 8);
  const label = (l: string) => data.times ? localTime(l, "hour") ?? l : l;
  data.points.forEach((p, i) => {
    const x = LEFT + i * band + (band - barW) / 2;
    const g = el("g", {});
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${label(p.label)}: ` +
      data.series.map((s, j) => `${s} ${fmt(p.values[j] ?? 0)}`).join(", ");
    g.append(title);
    let y = TOP + plotH;
    p.values.forEach((v, j) => {
      const h = (v / max) * plotH;
      if (h <= 0) return;
      y -= h;
      g.append(el("rect", { class: `bar-${j}`, x, y, width: barW, height: h }));
    });
    svg.append(g);
    if (i % every === 0) {
      const t = el("text", { x: x + barW / 2, y: H - 6, "text-anchor": "middle" });
      t.textContent = label(p.label);
      svg.append(t);
    }
  });
  plot.replaceChildren(svg);
  figure.dataset.drawn = String(data.points.length);
}

/** Draws every `figure[data-chart]` under `root`. */
export function wireCharts(root: ParentNode = document): void {
  for (const f of root.querySelectorAll<HTMLElement>("figure[data-chart]")) {
    drawChart(f, JSON.parse(f.dataset.chart!) as ChartData);
  }
}
