/**
 * Components fed with live data: a log that follows a server-sent event stream, counters that
 * a stream updates, and a bar chart. The server renders what it knows (and, for the chart, a
 * data table for screen readers); the client modules `log_view.ts`, `counters.ts` and
 * `chart.ts` take over.
 *
 * Stream contract (what an endpoint behind `src` sends):
 * - a log: `event: log`, `id: <seq>`, `data: {"seq","ts","level","text"}`; at the end
 *   `event: end`, `data: {"status","exitCode","error"}`. It honours `Last-Event-ID` by sending
 *   only lines after that sequence number.
 * - counters: `event: counters`, `data: {"<key>": <number>, ...}`.
 *
 * @module
 */

import { formatBytes, formatCount } from "./client/format.ts";
import { Time } from "./components.tsx";

/** Lines a live log keeps on the page; older ones are dropped as new ones arrive. */
export const LOG_MAX_LINES = 5000;

/**
 * A log that follows `src` (server-sent events) and shows every line once, in order: the last
 * `maxLines` of them (default `LOG_MAX_LINES`); once earlier ones are dropped, a note says so,
 * with a link to `download`, the whole log. `startAfter`: the stream starts after that line (the
 * lines before it count as dropped; `src` is asked with it as `Last-Event-ID`).
 */
export function LiveLog(
  props: {
    src: string;
    label: string;
    id?: string;
    download?: string;
    maxLines?: number;
    startAfter?: number;
  },
) {
  return (
    <div
      class="live-log"
      data-live-log={props.src}
      data-max-lines={String(props.maxLines ?? LOG_MAX_LINES)}
      data-start-after={props.startAfter ? String(props.startAfter) : undefined}
      id={props.id}
    >
      <p class="log-dropped" hidden>
        <span class="log-dropped-text"></span>
        {props.download && (
          <>
            {" "}
            <a href={props.download}>Download the whole log</a>
          </>
        )}
      </p>
      <div class="log" role="log" aria-label={props.label} tabindex={0}>
        <ol></ol>
      </div>
      <p class="live-status" aria-live="polite">Connecting…</p>
    </div>
  );
}

/** Figures that `src` updates (`event: counters`). */
export function LiveCounters(props: {
  src: string;
  label: string;
  items: { key: string; label: string; value: number }[];
}) {
  return (
    <dl class="stats" data-live-counters={props.src} aria-label={props.label}>
      {props.items.map((i) => (
        <div>
          <dt>{i.label}</dt>
          <dd data-counter={i.key}>{formatCount(i.value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** One bar of a chart: its label (an hour) and a value per series (stacked). */
export interface ChartPoint {
  label: string;
  values: number[];
}

/** What the chart module draws. */
export interface ChartData {
  series: string[];
  points: ChartPoint[];
  unit: "count" | "bytes";
  /** Labels are ISO times, written as the hour in the browser's time zone. */
  times?: boolean;
}

/**
 * Stacked SVG bars drawn by the client from `data-chart`; the same figures are in a table
 * that screen readers read (the drawing itself is hidden from them).
 */
export function BarChart(
  props: {
    title: string;
    data: ChartData;
    id?: string; /** Heading of the label column. */
    axis?: string;
  },
) {
  const fmt = props.data.unit === "bytes" ? formatBytes : formatCount;
  return (
    <figure class="chart" id={props.id} data-chart={JSON.stringify(props.data)}>
      <figcaption>{props.title}</figcaption>
      <div class="chart-plot"></div>
      <ul class="legend" aria-hidden="true">
        {props.data.series.map((s, i) => (
          <li>
            <span class={`swatch bar-${i}`}></span>
            {s}
          </li>
        ))}
      </ul>
      {/* A table ignores the 1px width of .visually-hidden: its box clips it instead. */}
      <div class="visually-hidden">
        <table>
          <caption>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{props.axis ?? "Hour"}</th>
              {props.data.series.map((s) => <th key={s} scope="col">{s}</th>)}
            </tr>
          </thead>
          <tbody>
            {props.data.points.map((p) => (
              <tr>
                <th scope="row">
                  {props.data.times ? <Time iso={p.label} format="hour" /> : p.label}
                </th>
                {p.values.map((v, i) => <td key={i}>{fmt(v)}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
