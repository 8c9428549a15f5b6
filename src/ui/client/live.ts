/**
 * Follows a server-sent event stream and survives broken connections without losing or
 * doubling an event: it reconnects with the `Last-Event-ID` header (the id of the last event
 * it handed on), and drops an event whose numeric id is not above that one (a server that
 * sends a few lines again after a reconnect). A backlog is handled in slices of about 20 ms,
 * between which the page draws and answers input. The stream ends for good with the end event
 * (`end` by default), a `close()`, a `closed` event (the server ended it: the session has
 * ended; its `message` is the state's detail), or an answer that says retrying cannot help
 * (4xx, with the JSON error's message as the detail when there is one).
 *
 * Written over `fetch` rather than `EventSource`, which cannot be told the id to resume from
 * after it gave up, and retries without a bound on its own schedule.
 *
 * @example
 * ```ts
 * const f = follow("/jobs/42/log", { onEvent: (e) => console.log(e.event, e.data) });
 * await f.done; // after `event: end`
 * ```
 * @module
 */

import { type SseEvent, SseParser } from "../../sse.ts";

/** One event as received (`src/sse.ts`). */
export type StreamEvent = SseEvent;

/** The follower's state, for a status line. */
export type FollowState = "connecting" | "open" | "retrying" | "ended" | "failed" | "closed";

/** Options of `follow`. */
export interface FollowOptions {
  onEvent(e: StreamEvent): void;
  onState?(state: FollowState, detail?: string): void;
  /** The event that ends the stream (handed on, then no reconnect). Default "end". */
  endEvent?: string;
  /** Resume after this id (as if it had been received). */
  lastEventId?: string;
  /** First wait before reconnecting, in ms (the server's `retry:` overrides it). Default 1000. */
  retryMs?: number;
  /** Longest wait between reconnections, in ms. Default 30000. */
  maxRetryMs?: number;
  /** The fetch to use (tests); default the global one. */
  fetch?: typeof fetch;
}

/** A running follower. */
export interface Follower {
  /** Stops following (no further events or reconnects). */
  close(): void;
  /** Settles when following has stopped: end event, close(), or a final refusal. */
  readonly done: Promise<FollowState>;
  /** The id of the last event handed on. */
  readonly lastEventId: string | undefined;
}

/** Follows `url`; see the module's description. */
export function follow(url: string, opts: FollowOptions): Follower {
  const endEvent = opts.endEvent ?? "end";
  const doFetch = opts.fetch ?? fetch;
  const ctrl = new AbortController();
  let last = opts.lastEventId;
  let retry = opts.retryMs ?? 1000;
  const maxRetry = opts.maxRetryMs ?? 30_000;
  let state: FollowState = "connecting";
  const set = (s: FollowState, detail?: string) => {
    state = s;
    opts.onState?.(s, detail);
  };

  /** Hands `e` on unless it repeats one already handed on; true when it was the end event. */
  const deliver = (e: StreamEvent): boolean => {
    if (e.id !== undefined) {
      const n = Number(e.id);
      const seen = last === undefined ? NaN : Number(last);
      if (e.id !== "" && Number.isFinite(n) && Number.isFinite(seen) && n <= seen) return false;
      last = e.id;
    }
    opts.onEvent(e);
    return e.event === endEvent;
  };

  const run = async (): Promise<FollowState> => {
    let wait = retry;
    while (!ctrl.signal.aborted) {
      set(state === "connecting" ? "connecting" : "retrying");
      let received = false;
      try {
        const headers: Record<string, string> = { Accept: "text/event-stream" };
        if (last !== undefined) headers["Last-Event-ID"] = last;
        const res = await doFetch(url, {
          headers,
          signal: ctrl.signal,
          cache: "no-store",
          credentials: "same-origin",
        });
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          const said = await errorMessage(res);
          set(
            "failed",
            said ?? `The server refused the stream: ${res.status} ${res.statusText}`.trim(),
          );
          return "failed";
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        set("open");
        let since = performance.now();
        for await (const e of parseEvents(res.body, (ms) => (retry = ms))) {
          if (ctrl.signal.aborted) break; // closed from an event handler
          received = true;
          if (e.event === CLOSED_EVENT) {
            ctrl.abort();
            set("failed", messageOf(e.data) ?? "The server ended the stream");
            return "failed";
          }
          // A backlog arrives faster than it is handled, and reads of data already there
          // never leave the task: let the page draw and answer every few milliseconds.
          if (performance.now() - since > 20) {
            await new Promise((r) => setTimeout(r, 0));
            since = performance.now();
          }
          if (deliver(e)) {
            ctrl.abort();
            set("ended");
            return "ended";
          }
        }
      } catch (err) {
        if (ctrl.signal.aborted) break;
        set("retrying", (err as Error).message);
      }
      if (ctrl.signal.aborted) break;
      // Back off while connections fail without a single event; start over after progress.
      wait = received ? retry : Math.min(wait * 2, maxRetry);
      set("retrying");
      await sleep(received ? retry : wait, ctrl.signal);
    }
    if (state !== "ended") set("closed");
    return state;
  };

  const done = run();
  return {
    close: () => ctrl.abort(),
    done,
    get lastEventId() {
      return last;
    },
  };
}

/** The event a server sends before it ends a stream for good, with `{ message }`. */
const CLOSED_EVENT = "closed";

/** `message` of a JSON object `{ message }` or `{ error: { message } }`, if `text` is one. */
function messageOf(text: string): string | undefined {
  try {
    const v = JSON.parse(text);
    const m = v?.message ?? v?.error?.message;
    return typeof m === "string" && m !== "" ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The message of a refusal's JSON error body, if it has one. */
async function errorMessage(res: Response): Promise<string | undefined> {
  if (!(res.headers.get("Content-Type") ?? "").includes("json")) {
    await res.body?.cancel();
    return undefined;
  }
  return messageOf(await res.text().catch(() => ""));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

/**
 * The events of an event stream body (`src/sse.ts` parses them, as for the CLI); `retry:` is
 * reported through `onRetry`. An event without its blank line at the end is not dispatched.
 */
export async function* parseEvents(
  body: ReadableStream<Uint8Array>,
  onRetry: (ms: number) => void = () => {},
): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const ready: StreamEvent[] = [];
  const events = new SseParser((e) => ready.push(e), onRetry);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      events.push(value);
      while (ready.length > 0) yield ready.shift()!;
    }
  } finally {
    // Cancelling the reader lets the connection go.
    await reader.cancel().catch(() => {});
  }
}
