/**
 * When a process started, as Linux's `/proc` tells it: what tells a live process from a reused
 * process ID. A leaf module (the engine's job owners use it without the copy engine's hashing).
 *
 * @example
 * ```ts
 * startOf(Deno.pid); // "1p3k" on Linux, undefined elsewhere
 * ```
 * @module
 */

/**
 * Start time of process `pid` from `/proc/PID/stat` (field 22, after the command name, which
 * may itself hold spaces and parentheses), in base 36; null when there is no such process (or
 * only its exit status is left), undefined when it cannot be read.
 */
export function startOf(pid: number): string | null | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    return err instanceof Deno.errors.NotFound ? null : undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return null; // exited, not yet reaped
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks.toString(36) : undefined;
}
