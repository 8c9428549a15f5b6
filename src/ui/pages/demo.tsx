/**
 * The routes of the style guide (`/style-guide`, with `createConsole({ demo: true })`): its
 * pages, the demo forms' targets, and test streams that behave like the real ones, including
 * their failures: the log stream drops its connection every `dropEvery` lines and, after a
 * reconnect, sends `overlap` lines again, so the live client must neither lose nor double one.
 *
 * @module
 */

import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { UiStateOf } from "../app.ts";
import { renderPage } from "../layout.tsx";
import { EditorDemoPage, StyleGuidePage } from "./style_guide.tsx";

const NOTICES: Record<string, string> = {
  saved: "Saved: the demo form was sent.",
  confirmed: "Confirmed: the demo deletion was sent.",
};

function intParam(v: string | undefined, dflt: number, max: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? Math.min(n, max) : dflt;
}

/** The demo log's line `n` of `total` (fixed text; line 3 carries markup to show as text). */
export function demoLine(n: number, total: number) {
  const level = n % 10 === 0 ? "warn" : n % 13 === 0 ? "error" : "info";
  const text = n === 3
    ? `<script>alert("not run")</script> & <b>shown as text</b>`
    : `Line ${n} of ${total}: copied report-${String(n).padStart(3, "0")}.csv`;
  return { seq: n, ts: new Date(Date.UTC(2026, 2, 1, 22, 0, n)).toISOString(), level, text };
}

/** The style guide's routes; `uiState` gives each page its state. */
export function demoRoutes(uiState: UiStateOf): Hono {
  const app = new Hono();
  app.get("/", async (c) => {
    const done = Object.keys(NOTICES).find((k) => c.req.query(k) !== undefined);
    return renderPage(c, StyleGuidePage({ ui: await uiState(c), notice: done && NOTICES[done] }));
  });
  app.get("/editor", async (c) => renderPage(c, EditorDemoPage({ ui: await uiState(c) })));
  app.post("/saved", (c) => c.redirect("/style-guide?saved", 303));
  app.post("/confirmed", (c) => c.redirect("/style-guide?confirmed#dialogs", 303));

  app.get("/log-stream", (c) => {
    const total = intParam(c.req.query("lines"), 40, 100_000);
    const dropEvery = intParam(c.req.query("dropEvery"), 0, 100_000);
    const overlap = intParam(c.req.query("overlap"), 0, 100);
    const delay = intParam(c.req.query("delayMs"), 15, 5_000);
    const resume = c.req.header("Last-Event-ID");
    let after = resume === undefined ? intParam(c.req.query("after"), 0, total) : Number(resume);
    if (!Number.isInteger(after) || after < 0) after = 0;
    // A reconnect is answered with a few lines the client already has.
    if (resume !== undefined) after = Math.max(0, after - overlap);
    return streamSSE(c, async (stream) => {
      let sent = 0;
      for (let n = after + 1; n <= total; n++) {
        if (stream.aborted) return;
        await stream.writeSSE({
          event: "log",
          id: String(n),
          data: JSON.stringify(demoLine(n, total)),
          // Reconnect soon after the drops this stream makes on purpose.
          retry: sent === 0 ? 250 : undefined,
        });
        sent++;
        if (dropEvery > 0 && sent >= dropEvery && n < total) return; // connection lost
        if (delay > 0) await stream.sleep(delay);
      }
      await stream.writeSSE({
        event: "end",
        data: JSON.stringify({ status: "succeeded", exitCode: 0, error: null }),
      });
    });
  });

  app.get("/counters-stream", (c) =>
    streamSSE(c, async (stream) => {
      const steps = [{ running: 1, queued: 3 }, { running: 2, queued: 2 }, {
        running: 3,
        queued: 0,
      }];
      for (const s of steps) {
        if (stream.aborted) return;
        await stream.writeSSE({ event: "counters", data: JSON.stringify(s) });
        await stream.sleep(200);
      }
      await stream.writeSSE({ event: "end", data: "{}" });
    }));
  return app;
}
