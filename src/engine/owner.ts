/**
 * Which process runs a job. A job's `owner` is `pid:start` of the process that runs it on the
 * job's `node` (`start` is the process's start time where the system tells it, as the copy
 * engine's temporary names record their writer, `vfs/writer_id.ts`; so a reused process ID is
 * not taken for the process that died). At start-up, `aft serve` and `aft run` fail the
 * `running` jobs of their node whose owner is gone, and only those: a live `aft run` beside a
 * restarting service keeps its job.
 *
 * @module
 */

import { startOf } from "../vfs/process_start.ts";

/** `pid:start` of this process. */
export function processOwner(): string {
  return ownerOf(Deno.pid);
}

/** `pid:start` of process `pid` (start 0 where the system does not tell it). */
export function ownerOf(pid: number): string {
  return `${pid}:${startOf(pid) ?? 0}`;
}

/**
 * True unless the process `owner` names is known to be gone. Where start times cannot be read
 * (outside Linux) the process ID alone is asked for; when the system cannot tell, the owner
 * counts as alive: failing a live job would be worse than keeping a dead one.
 */
export async function ownerAlive(owner: string): Promise<boolean> {
  const [pidText, start] = owner.split(":");
  const pid = Number(pidText);
  if (!/^\d+$/.test(pidText ?? "") || !Number.isSafeInteger(pid) || pid <= 0) return false;
  const now = startOf(pid);
  if (now === null) return false;
  if (now !== undefined) return start === undefined || start === "0" || start === now;
  try {
    const out = Deno.build.os === "windows"
      ? await new Deno.Command("tasklist", {
        args: ["/FI", `PID eq ${pid}`, "/NH"],
        stdout: "piped",
        stderr: "null",
      }).output()
      : await new Deno.Command("ps", { args: ["-p", String(pid)], stdout: "null", stderr: "null" })
        .output();
    if (Deno.build.os === "windows") {
      return new TextDecoder().decode(out.stdout).includes(` ${pid} `);
    }
    return out.success;
  } catch {
    return true;
  }
}
