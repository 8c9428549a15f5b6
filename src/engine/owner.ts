/**
 * Which process runs a job. A job's `owner` is `pid:start` of the process that runs it on the
 * job's `node` (`start` is the process's start time where the system tells it, so a reused
 * process ID is not taken for the process that died). At start-up, `aft serve` and `aft run`
 * fail the `running` jobs of their node whose owner is gone, and only those: a live `aft run`
 * beside a restarting service keeps its job.
 *
 * @module
 */

/** `pid:start` of this process. */
export function processOwner(): string {
  return ownerOf(Deno.pid);
}

/** `pid:start` of process `pid` (start 0 where the system does not tell it). */
export function ownerOf(pid: number): string {
  return `${pid}:${startTimeOf(pid) ?? 0}`;
}

/** The start time of process `pid` in clock ticks since boot (Linux), else undefined. */
function startTimeOf(pid: number): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces and parentheses): state is field 3,
    // starttime field 22.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * True unless the process `owner` names is known to be gone. When the system cannot tell,
 * the owner counts as alive: failing a live job would be worse than keeping a dead one.
 */
export async function ownerAlive(owner: string): Promise<boolean> {
  const [pidText, start] = owner.split(":");
  const pid = Number(pidText);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return owner === processOwner();
  if (Deno.build.os === "linux") {
    const now = startTimeOf(pid);
    if (now === undefined) return false;
    return start === undefined || start === "0" || start === now;
  }
  try {
    const out = Deno.build.os === "windows"
      ? await new Deno.Command("tasklist", {
        args: ["/FI", `PID eq ${pid}`, "/NH"],
        stdout: "piped",
        stderr: "null",
      })
        .output()
      : await new Deno.Command("ps", { args: ["-p", String(pid)], stdout: "piped", stderr: "null" })
        .output();
    if (Deno.build.os === "windows") {
      return new TextDecoder().decode(out.stdout).includes(` ${pid} `);
    }
    return out.success;
  } catch {
    return true;
  }
}
