/**
 * How a live stream learns that its caller may no longer read it. A stream is authorised once,
 * when it opens, and may then run for hours (a job's log, the dashboard); without a second look
 * it would go on after a sign-out, the removal of the administrator, the end of the session's
 * lifetime or the revocation of the API key. `watchAccess` asks again every
 * `ACCESS_RECHECK_MS` and ends the stream the first time the answer is no.
 *
 * @example
 * ```ts
 * const abort = new AbortController();
 * watchAccess(async () => (await engine.sessions.check(token)) !== undefined, abort);
 * for await (const e of engine.jobs.follow(id, { signal: abort.signal })) send(e);
 * ```
 * @module
 */

/** How often an open stream asks whether its caller may still read it. */
export const ACCESS_RECHECK_MS = 5_000;

/** True while the caller may go on reading; an error counts as no (the stream can reconnect). */
export type AccessCheck = () => Promise<boolean>;

/** Who may go on reading a stream, and what to tell them when they may not. */
export interface StreamAccess {
  check: AccessCheck;
  /** The message of the stream's last event, e.g. "The session has ended: sign in again". */
  ended: string;
}

/**
 * Asks `check` every `everyMs` until `abort` is aborted, and aborts it (with the reason
 * "access ended") the first time `check` answers false or fails.
 */
export function watchAccess(
  check: AccessCheck,
  abort: AbortController,
  everyMs = ACCESS_RECHECK_MS,
): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const look = async () => {
    let ok = false;
    try {
      ok = await check();
    } catch {
      // A store that cannot answer cannot vouch for the caller either.
    }
    if (abort.signal.aborted) return;
    if (!ok) abort.abort(ACCESS_ENDED);
    else timer = setTimeout(look, everyMs);
  };
  timer = setTimeout(look, everyMs);
  abort.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
}

/** The abort reason of a stream whose caller may no longer read it. */
export const ACCESS_ENDED = "access ended";

/**
 * The stream's last event, `closed` with the reason, when `watchAccess` ended it (undefined
 * when it ended otherwise: its job ended, its client went away).
 */
export function closedEvent(
  access: StreamAccess,
  abort: AbortController,
): { event: string; data: string } | undefined {
  if (abort.signal.reason !== ACCESS_ENDED) return undefined;
  return { event: "closed", data: JSON.stringify({ message: access.ended }) };
}
