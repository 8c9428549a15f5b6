/**
 * The start-up timeline: moments of a command from process start to exit, printed on stderr
 * when the process ends, by `aft run --timings` or with `AFT_TIMINGS=1` (any command). It is
 * how a slower start is found: each line says what happened and how long after the previous
 * one. Marks cost a `performance.now()` and an array push, so they stay in the code.
 *
 * Times are absolute (`performance.timeOrigin + performance.now()`, milliseconds since the
 * epoch), so marks made in a runner process or a script's Worker (which have their own time
 * origins) line up with the CLI's; they come back with the job's messages. A leaf module: it
 * imports nothing, and anything may import it.
 *
 * @example
 * ```ts
 * import { mark, printTimeline } from "./timings.ts";
 * mark("store open");
 * printTimeline(); // on stderr, when timings are on
 * ```
 * @module
 */

/** One moment: what, when (ms since the epoch) and in which process or thread. */
export interface Mark {
  label: string;
  at: number;
  /** "cli" (default), "runner", "worker". */
  where?: string;
  /**
   * CPU time the marking thread had used by then, in ms (Linux; absent elsewhere and in a
   * Worker): unlike the wall clock, not stretched when a busy machine makes the thread wait.
   */
  cpu?: number;
  /** Set on marks another process or thread sent: whose CPU time `cpu` is. */
  thread?: string;
}

const marks: Mark[] = [];
let enabled: boolean | undefined;

/** Now, in ms since the epoch, at `performance.now()` resolution. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Whether the timeline is printed: `--timings` among the arguments, or `AFT_TIMINGS=1`. The
 * environment is read once (where it may not be read, as in a Worker, timings are off unless
 * `enableTimings` says otherwise).
 */
export function timingsOn(): boolean {
  if (enabled === undefined) {
    try {
      enabled = Deno.env.get("AFT_TIMINGS") === "1";
    } catch {
      enabled = false;
    }
  }
  return enabled;
}

/**
 * Turns the timeline on for this process and for the processes it starts (`AFT_TIMINGS=1` is
 * set in its environment, which runner processes inherit).
 */
export function enableTimings(): void {
  enabled = true;
  try {
    Deno.env.set("AFT_TIMINGS", "1");
  } catch { /* no env permission (a Worker): this thread only */ }
}

/** Records a moment (nothing when timings are off). */
export function mark(label: string, where?: string): void {
  if (!timingsOn()) return;
  const cpu = threadCpu();
  marks.push({
    label,
    at: now(),
    ...(where ? { where } : {}),
    ...(cpu === undefined ? {} : { cpu }),
  });
}

let cpuReadable = true;
/** CPU time of the calling thread in ms, from Linux's /proc/thread-self/schedstat. */
function threadCpu(): number | undefined {
  if (!cpuReadable) return undefined;
  try {
    if (Deno.build.os !== "linux") throw new Error("no /proc");
    return Number(Deno.readTextFileSync("/proc/thread-self/schedstat").split(" ")[0]) / 1e6;
  } catch {
    cpuReadable = false; // a Worker without permissions (or without Deno), or no /proc
    return undefined;
  }
}

/**
 * Records moments made elsewhere (a runner process, a Worker: `from`), keeping their own times.
 */
export function addMarks(more: readonly Mark[], from: string): void {
  if (!timingsOn()) return;
  for (const m of more) marks.push({ ...m, where: m.where ?? from, thread: m.thread ?? from });
}

/**
 * The well-formed marks of `value`, as another process or a Worker sent them (a script may
 * have tampered with its Worker's): at most 100, labels cut to 100 characters.
 */
export function cleanMarks(value: unknown): Mark[] {
  if (!Array.isArray(value)) return [];
  const out: Mark[] = [];
  for (const m of value.slice(0, 100)) {
    if (typeof m !== "object" || m === null) continue;
    const { label, at, where, cpu, thread } = m as Record<string, unknown>;
    if (typeof label !== "string" || typeof at !== "number" || !Number.isFinite(at)) continue;
    out.push({
      label: label.slice(0, 100),
      at,
      ...(typeof where === "string" ? { where: where.slice(0, 20) } : {}),
      ...(typeof cpu === "number" && Number.isFinite(cpu) ? { cpu } : {}),
      ...(typeof thread === "string" ? { thread: thread.slice(0, 20) } : {}),
    });
  }
  return out;
}

/** The moments recorded so far, oldest first; the caller may not change them. */
export function takeMarks(): Mark[] {
  return marks.splice(0);
}

/**
 * Process start, in ms since the epoch, where the system says it (Linux: the process's start
 * in clock ticks since boot, against the uptime; both to 10 ms); undefined elsewhere.
 */
function processStart(): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const startTicks = Number(fields[19]);
    const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    if (!Number.isFinite(startTicks) || !Number.isFinite(uptime)) return undefined;
    return Date.now() - (uptime * 1000 - startTicks * 10);
  } catch {
    return undefined;
  }
}

/**
 * The timeline as lines: time from the origin, step from the previous mark, the CPU time the
 * marking thread used in that step where known (per process and thread), and the label.
 */
export function formatTimeline(list: readonly Mark[], origin = performance.timeOrigin): string[] {
  const sorted = [...list].sort((a, b) => a.at - b.at);
  const lines = ["        at      step   thread CPU  what"];
  const start = processStart();
  if (start !== undefined && start < origin) {
    lines.push(
      `${fmt(start - origin)}                        process start (from /proc, to 10 ms)`,
    );
  }
  lines.push(`${fmt(0)}                        Deno's runtime ready (time origin)`);
  let prev = origin;
  const lastCpu = new Map<string, number>();
  for (const m of sorted) {
    const where = m.where ?? "cli";
    const thread = m.thread ?? "";
    let cpu = "";
    if (m.cpu !== undefined) {
      cpu = `+${(m.cpu - (lastCpu.get(thread) ?? 0)).toFixed(1)}`;
      lastCpu.set(thread, m.cpu);
    }
    const label = printable(`${where === "cli" ? "" : `[${where}] `}${m.label}`);
    lines.push(
      `${fmt(m.at - origin)}  +${fmt(m.at - prev).trim().padStart(8)} ${
        cpu.padStart(10)
      }  ${label}`,
    );
    prev = m.at;
  }
  return lines;
}

/** `text` with control characters shown as "?" (labels may come from another process). */
function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? "?" : ch;
  }
  return out;
}

function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`.padStart(10);
}

/** Prints the timeline on stderr when timings are on. */
export function printTimeline(): void {
  if (!timingsOn()) return;
  mark("exit");
  const lines = [
    "aft timings: ms from Deno's time origin, step from the line before, CPU time the thread used in the step (the first: since the thread started)",
  ];
  lines.push(...formatTimeline(takeMarks()));
  console.error(lines.join("\n"));
}
