/**
 * Reads what is left of a request body, and discards it, before the response goes out.
 *
 * Why: when `Deno.serve` answers an HTTP/2 request whose body was not read to its end (a 401 or
 * 413 sent before the body arrived), the stream's receiving side is still open, so after the
 * response the server resets the stream with RST_STREAM(NO_ERROR). RFC 9113 section 8.1 allows
 * that and tells clients to keep the response, but curl 7.88 (Debian 12's) drops it and fails
 * with "Stream error in the HTTP/2 framing layer" (exit 92) whenever it is still sending. A body
 * read to its end leaves nothing to reset. Draining is bounded in bytes and time, and nothing
 * read is kept, so a 413 for a large body costs reading it, not holding it.
 *
 * @example
 * ```ts
 * Deno.serve((req) => answerAfterBody(req, app.fetch(req)));
 * ```
 *
 * @module
 */

/** Most bytes read and discarded after the answer is known; larger bodies are cut off. */
export const DRAIN_LIMIT = 16 * 1024 * 1024;
/** Longest wait for the rest of a body, in milliseconds. */
export const DRAIN_MS = 10_000;

export interface DrainOptions {
  /** Bytes to read at most (default DRAIN_LIMIT). */
  limit?: number;
  /** Milliseconds to wait at most (default DRAIN_MS). */
  ms?: number;
}

/**
 * Reads `reader` to its end, discarding the data, up to `limit` bytes and `ms` milliseconds;
 * past either, it cancels the stream. Returns true when the end was reached.
 */
export async function drainReader(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  opts: DrainOptions = {},
): Promise<boolean> {
  const limit = opts.limit ?? DRAIN_LIMIT;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), opts.ms ?? DRAIN_MS);
  });
  let size = 0;
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), late]);
      if (r === "late") break;
      if (r.done) return true;
      size += r.value.length;
      if (size > limit) break;
    }
  } catch {
    return false; // the client went away: nothing left to answer
  } finally {
    clearTimeout(timer);
  }
  await reader.cancel().catch(() => {});
  return false;
}

/**
 * Drains the unread rest of `req`'s body (see the module note). A body someone still reads
 * (locked) is left alone; a declared length over the limit is not worth reading and is cut off.
 * Returns true when nothing is left unread.
 */
export async function drainRequestBody(req: Request, opts: DrainOptions = {}): Promise<boolean> {
  const body = req.body;
  if (!body || body.locked) return !body;
  const declared = Number(req.headers.get("Content-Length") ?? "0");
  if (declared > (opts.limit ?? DRAIN_LIMIT)) {
    await body.cancel().catch(() => {});
    return false;
  }
  const reader = body.getReader();
  try {
    return await drainReader(reader, opts);
  } finally {
    reader.releaseLock();
  }
}

/** Awaits `response`, then drains `req`'s unread body, then hands the response on. */
export async function answerAfterBody(
  req: Request,
  response: Response | Promise<Response>,
  opts: DrainOptions = {},
): Promise<Response> {
  const res = await response;
  await drainRequestBody(req, opts);
  return res;
}
