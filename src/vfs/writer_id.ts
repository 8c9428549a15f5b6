/**
 * Who is writing a temporary file: this process, named so that a later process can tell
 * whether the writer still runs. The name carries a host tag (host name, boot, PID namespace
 * and user, hashed), the process ID and the process's start time; on the same host, a process
 * with that ID and that start time either exists or the writer is gone. From another host, or
 * where process start times cannot be read (only Linux's `/proc` is read), the answer is
 * "unknown" and callers fall back on the age of the file.
 *
 * @example
 * ```ts
 * const me = thisWriter();            // { host: "1a2b3c4d", pid: 4242, start: "1p3k" }
 * writerState(me);                    // "alive"
 * ```
 * @module
 */

import { sha256Hex } from "../sha256.ts";
import { startOf } from "./process_start.ts";

export { startOf };

/** A writing process, as named in a temporary file's name. */
export interface Writer {
  /** 8 hex digits: hash of host name, boot ID, PID namespace and user ID. */
  host: string;
  pid: number;
  /** The process's start time (base 36 clock ticks since boot on Linux; `0` elsewhere). */
  start: string;
}

/** Whether a writer still runs, as far as this process can tell. */
export type WriterState = "alive" | "dead" | "unknown";

const LINUX = Deno.build.os === "linux";

let me: Writer | undefined;
/** Set when this process can tell the state of writers on its own host. */
let canTell = false;

/** This process as a writer (computed once). */
export function thisWriter(): Writer {
  if (me) return me;
  const start = LINUX ? startOf(Deno.pid) ?? undefined : undefined;
  const parts = [safe(() => Deno.hostname()) ?? "", String(safe(() => Deno.uid()) ?? "")];
  if (LINUX) {
    parts.push(
      safe(() => Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim()) ?? "",
      safe(() => Deno.readLinkSync("/proc/self/ns/pid")) ?? "",
    );
  }
  canTell = start !== undefined && parts.every((p) => p !== "");
  me = {
    host: sha256Hex(parts.join("\n")).slice(0, 8),
    pid: Deno.pid,
    start: start ?? "0",
  };
  return me;
}

/**
 * Whether `w` still runs: "dead" only when it was written on this host (same tag) and no
 * process with its ID and start time exists now; "unknown" when this process cannot tell.
 */
export function writerState(w: Writer): WriterState {
  const self = thisWriter();
  if (!canTell || w.host !== self.host) return "unknown";
  if (w.pid === self.pid && w.start === self.start) return "alive";
  const start = startOf(w.pid);
  return start === undefined ? "unknown" : start === w.start ? "alive" : "dead";
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
