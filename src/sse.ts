/**
 * Server-sent events (`text/event-stream`) read from a body that arrives in pieces: how the
 * console's live views (`ui/client/live.ts`, in the browser) and `aft start --wait` or an
 * `aft run` handed to a service (`client/http.ts`) follow a job's log, which
 * `http/job_log_stream.ts` sends. A leaf both import.
 *
 * @example
 * ```ts
 * const events = new SseParser((e) => console.log(e.event, e.data));
 * events.push(new TextEncoder().encode("event: log\nid: 1\ndata: {}\n\n"));
 * // log {}
 * ```
 * @module
 */

/**
 * The most one event may hold, in characters: a log line is at most 64 KiB (logMaxLineBytes),
 * which JSON escaping can make six times longer.
 */
export const MAX_EVENT_CHARS = 8 * 1024 * 1024;

/** One event of a stream. */
export interface SseEvent {
  /** The `event:` field; "message" when absent. */
  event: string;
  data: string;
  /** The `id:` field; undefined when the event had none. */
  id?: string;
}

/**
 * Server-sent events from a body given in pieces (cut anywhere, even inside a UTF-8 character
 * or between CR and LF), per the HTML standard's rules: lines end with CRLF, LF or CR; a blank
 * line ends an event, which is dispatched when it has data; `data` lines join with LF; lines
 * starting with `:` are comments (keep-alives); `retry:` goes to `onRetry`.
 */
export class SseParser {
  readonly #decoder = new TextDecoder();
  readonly #onEvent: (e: SseEvent) => void;
  readonly #onRetry: (ms: number) => void;
  #text = "";
  #afterCR = false;
  #event = "";
  #data: string[] = [];
  /** Characters in `#data`. */
  #size = 0;
  #id: string | undefined;

  constructor(onEvent: (e: SseEvent) => void, onRetry: (ms: number) => void = () => {}) {
    this.#onEvent = onEvent;
    this.#onRetry = onRetry;
  }

  push(bytes: Uint8Array): void {
    let text = this.#text + this.#decoder.decode(bytes, { stream: true });
    // A CR that ended the last piece may have been the first half of a CRLF.
    if (this.#afterCR && text.startsWith("\n")) text = text.slice(1);
    this.#afterCR = false;
    let at = 0;
    const eol = /\r\n|\r|\n/g;
    for (let hit = eol.exec(text); hit; hit = eol.exec(text)) {
      this.#line(text.slice(at, hit.index));
      at = hit.index + hit[0].length;
      if (hit[0] === "\r" && at === text.length) this.#afterCR = true;
    }
    this.#text = text.slice(at);
    if (this.#text.length + this.#size > MAX_EVENT_CHARS) {
      throw new Error(`an event of more than ${MAX_EVENT_CHARS} characters`);
    }
  }

  #line(line: string): void {
    if (line === "") {
      if (this.#data.length > 0) {
        const data = this.#data.join("\n");
        this.#onEvent({ event: this.#event || "message", data, id: this.#id });
      }
      this.#event = "";
      this.#data = [];
      this.#size = 0;
      this.#id = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") {
      this.#data.push(value);
      this.#size += value.length + 1;
    } else if (field === "id" && !value.includes("\0")) this.#id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.#onRetry(Number(value));
  }
}
