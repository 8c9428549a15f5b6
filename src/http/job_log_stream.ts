/**
 * A job's log as a live event stream (`text/event-stream`), the one shape the REST API and the
 * console both send: a `log` event per line with the line's `seq` as its event ID, then one
 * `end` event with how the job ended. A client that reconnects with `Last-Event-ID` resumes
 * after that line, so each line arrives once. A caller who may no longer read the log (signed
 * out, key revoked: `stream_access.ts`) gets one `closed` event saying so, and the stream ends.
 *
 * @module
 */

import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { Engine, LogLine } from "../engine/mod.ts";
import { closedEvent, type StreamAccess, watchAccess } from "./stream_access.ts";

export type { StreamAccess };

/** How often a quiet stream sends a comment (`: keep-alive`). */
export const KEEP_ALIVE_MS = 20_000;

/** A log line as both surfaces show it. */
export const lineView = (l: LogLine) => ({
  seq: l.seq,
  ts: l.ts,
  level: l.level,
  text: l.text,
});

/** The line to start after: `after`, or the client's `Last-Event-ID` when that is later. */
export function resumeAfter(c: Context, after = 0): number {
  const resume = Number(c.req.header("Last-Event-ID"));
  return Number.isInteger(resume) && resume > after ? resume : after;
}

/**
 * Streams job `id`'s lines after `after` until the job ends, the client goes away or `access`
 * ends. The job must have been looked up first, so a missing one is answered 404 before the
 * stream starts.
 */
export function jobLogStream(
  c: Context,
  engine: Engine,
  id: string,
  after: number,
  access?: StreamAccess,
): Response {
  // Proxies that buffer answers (nginx) pass this one on as it comes.
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    stream.onAbort(() => abort.abort());
    if (access) watchAccess(access.check, abort);
    // A comment now and then while the job is quiet, so that no proxy or load balancer takes
    // the stream for an idle connection and cuts it (nginx: after 60 s).
    const keepAlive = setInterval(() => {
      stream.write(": keep-alive\n\n").catch(() => abort.abort());
    }, KEEP_ALIVE_MS);
    try {
      for await (const e of engine.jobs.follow(id, { after, signal: abort.signal })) {
        if (e.type === "line") {
          await stream.writeSSE({
            event: "log",
            id: String(e.line.seq),
            data: JSON.stringify(lineView(e.line)),
          });
        } else {
          await stream.writeSSE({
            event: "end",
            data: JSON.stringify({
              status: e.job.status,
              exitCode: e.job.exitCode ?? null,
              error: e.job.error ?? null,
            }),
          });
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
    const last = access && closedEvent(access, abort);
    if (last && !stream.aborted) await stream.writeSSE(last);
  });
}
