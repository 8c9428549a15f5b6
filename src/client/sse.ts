/**
 * Server-sent events (`text/event-stream`) read from a body that arrives in pieces: how
 * `aft start --wait` and `aft run` delegated to a service follow a job's log
 * (`src/http/job_log_stream.ts` sends it; `ApiClient.stream` in `http.ts` reads it).
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

/** One event of a stream: its `event` name (`message` when none), `data` and `id`. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Server-sent events from a body given in pieces (cut anywhere, even inside a UTF-8 character
 * or between CR and LF), per the WHATWG rules: lines end with CRLF, LF or CR; a blank line
 * ends an event; `data` lines join with LF; lines starting with `:` are comments (keep-alives).
 */
export class SseParser {
  readonly #decoder = new TextDecoder();
  readonly #onEvent: (e: SseEvent) => void;
  #text = "";
  #afterCR = false;
  #event = "";
  #data: string[] = [];
  /** Characters in `#data`. */
  #size = 0;
  #id: string | undefined;

  constructor(onEvent: (e: SseEvent) => void) {
    this.#onEvent = onEvent;
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
      if (this.#data.length > 0 || this.#event !== "") {
        this.#onEvent({
          event: this.#event || "message",
          data: this.#data.join("\n"),
          ...(this.#id !== undefined ? { id: this.#id } : {}),
        });
      }
      this.#event = "";
      this.#data = [];
      this.#size = 0;
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
  }
}
