/**
 * The warning the Settings page gives before a network change that would lock the signed-in
 * admin out: a listen address this browser could not reach after the next start of
 * `aft serve` (loopback only while the admin is elsewhere, another interface than the one in
 * use, another port), or a session lifetime shorter than the admin's session is old already
 * (it would end at once). The page asks a second time before saving such a change; `aft reinit`
 * on the service's machine is the way back.
 *
 * @example
 * ```ts
 * lockoutWarnings({ listen: "127.0.0.1:44399" }, { listen: "0.0.0.0:44399", ... },
 *   { ip: "192.0.2.7", host: "aft.example:44399", sessionAgeMinutes: 3 });
 * ```
 * @module
 */

import { isLoopback } from "../engine/mod.ts";

/** Where the admin is, as this request shows it. */
export interface AdminVantage {
  /** The browser's address. */
  ip: string;
  /** The request's Host (`name:port` or `[v6]:port`), as the browser reached the console. */
  host: string;
  /** Minutes since the admin's session began. */
  sessionAgeMinutes: number;
}

/** `host` and `port` of `HOST:PORT` or `[V6]:PORT`; undefined when it is neither. */
export function splitListen(text: string): { host: string; port: string } | undefined {
  const m = text.trim().match(/^\[([^\]]*)\]:(\d+)$/) ?? text.trim().match(/^([^:]*):(\d+)$/);
  return m ? { host: m[1]!.toLowerCase(), port: m[2]! } : undefined;
}

const WILDCARD = new Set(["", "0.0.0.0", "::", "[::]", "*"]);

function loopbackName(host: string): boolean {
  return host === "localhost" || isLoopback(host);
}

/**
 * Why the network settings `next` (as typed) could lock the admin at `at` out, one sentence
 * each; empty when they could not.
 */
export function lockoutWarnings(
  current: { listen: string; sessionLifetimeMinutes: number },
  next: { listen?: string; sessionLifetimeMinutes?: string | number },
  at: AdminVantage,
): string[] {
  const out: string[] = [];
  const before = splitListen(current.listen);
  const after = next.listen === undefined ? undefined : splitListen(next.listen);
  const reached = splitListen(at.host.includes(":") ? at.host : `${at.host}:443`);
  if (after && next.listen?.trim() !== current.listen) {
    if (loopbackName(after.host) && !isLoopback(at.ip)) {
      out.push(
        `After the next start of aft serve it listens on ${after.host} only, which your browser at ${at.ip} cannot reach.`,
      );
    } else if (
      !WILDCARD.has(after.host) && !loopbackName(after.host) && reached &&
      after.host !== reached.host
    ) {
      out.push(
        `After the next start of aft serve it listens on ${after.host} only, while your browser reaches it as ${reached.host}.`,
      );
    }
    if (before && after.port !== before.port) {
      out.push(
        `After the next start of aft serve the console is on port ${after.port}, not ${before.port}.`,
      );
    }
  }
  const minutes = Number(next.sessionLifetimeMinutes);
  if (
    next.sessionLifetimeMinutes !== undefined && Number.isFinite(minutes) &&
    minutes !== current.sessionLifetimeMinutes && minutes <= at.sessionAgeMinutes
  ) {
    out.push(
      `A session lifetime of ${minutes} minutes ends your session at once (you signed in ${
        Math.floor(at.sessionAgeMinutes)
      } minutes ago).`,
    );
  }
  return out;
}
