/**
 * What every benchmark in `bench/` shares: the machine check at start (load average; a busy
 * machine gives figures that cannot be compared, so a benchmark refuses to report on one unless
 * `--allow-busy` is given, and then says so), medians, ratios, and peak memory.
 *
 * @example
 * ```ts
 * import { machineCheck, median, ratio } from "./_machine.ts";
 * const machine = machineCheck(Deno.args); // exits when the machine is busy (no --allow-busy)
 * const args = machine.args;               // Deno.args without --allow-busy and "--"
 * console.log(`ratio ${ratio(0.3, 0.2)}`); // "ratio 1.50"
 * machine.footer();                        // repeats the warning when the figures are forced
 * ```
 * @module
 */

/** Above this 1-minute load average the machine counts as busy. */
export const BUSY_LOAD = 1;

/** The marker a forced run on a busy machine prints with its figures. */
export const BUSY_MARK = "machine busy: figures not comparable";

/** The machine as a benchmark found it at start. */
export interface Machine {
  /** 1, 5 and 15-minute load averages (empty where the system does not tell). */
  load: number[];
  busy: boolean;
  /** `--allow-busy` was given. */
  forced: boolean;
  /** The arguments without `--allow-busy`, for the benchmark's own parser. */
  args: string[];
  /** The header line printed at start (load, CPUs, and the busy marker when forced). */
  header: string;
  /** Prints the busy marker again under the figures, when the run was forced on a busy machine. */
  footer(): void;
}

/** The load verdict alone: busy when the 1-minute load is above `limit`. */
export function isBusy(load: readonly number[], limit = BUSY_LOAD): boolean {
  return load.length > 0 && load[0]! > limit;
}

/** The load average, or [] where Deno cannot read it. */
export function loadAverage(): number[] {
  try {
    return Deno.loadavg();
  } catch {
    return [];
  }
}

/** The header line: load averages, CPUs, and the busy marker when it applies. */
export function machineHeader(load: readonly number[], busy: boolean): string {
  const cpus = navigator.hardwareConcurrency;
  const avg = load.length ? load.map((l) => l.toFixed(2)).join(" ") : "unknown";
  return `machine: load average ${avg} (1, 5, 15 min), ${cpus} CPUs` +
    (busy ? `; ${BUSY_MARK}` : "");
}

/**
 * Checks the machine before a benchmark runs: prints its load, and exits (code 3) when the
 * 1-minute load is above 1 unless `--allow-busy` is among `args`; a forced run is marked busy in
 * the header and, through `footer()`, under the figures.
 */
export function machineCheck(args: readonly string[], opts: { limit?: number } = {}): Machine {
  const forced = args.includes("--allow-busy");
  // `deno task bench:x -- 128` hands the "--" on to the script; it carries no meaning here.
  const rest = args.filter((a) => a !== "--allow-busy" && a !== "--");
  const load = loadAverage();
  const busy = isBusy(load, opts.limit);
  const header = machineHeader(load, busy);
  console.log(header);
  if (busy && !forced) {
    console.log(
      `The machine is busy (1-minute load ${load[0]!.toFixed(2)}, above ${
        opts.limit ?? BUSY_LOAD
      }): no figures. Wait until it is quiet, or give --allow-busy to run anyway (the figures are then marked as not comparable).`,
    );
    Deno.exit(3);
  }
  return {
    load,
    busy,
    forced,
    args: rest,
    header,
    footer: () => {
      if (busy) console.log(`\n${BUSY_MARK} (load at start ${load[0]!.toFixed(2)})`);
    },
  };
}

/** The median of `xs` (the mean of the two middle values for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `a / b` with two decimals ("1.50"); "n/a" when `b` is not positive. */
export function ratio(a: number, b: number): string {
  return b > 0 && Number.isFinite(a) ? (a / b).toFixed(2) : "n/a";
}

/** Seconds with two decimals: "0.47 s". */
export function fmtSecs(s: number): string {
  return `${s.toFixed(2)} s`;
}

/** Bytes as MiB with one decimal: "61.0 MiB". */
export function fmtMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Resident memory of `pid` and all its descendants now, in bytes (0 when not on Linux). */
export function treeRss(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const status = Deno.readTextFileSync(`/proc/${p}/status`);
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) total += Number(m[1]) * 1024;
      for (const t of Deno.readDirSync(`/proc/${p}/task`)) {
        try {
          const kids = Deno.readTextFileSync(`/proc/${p}/task/${t.name}/children`).trim();
          if (kids) stack.push(...kids.split(/\s+/).map(Number));
        } catch { /* thread gone */ }
      }
    } catch { /* process gone */ }
  }
  return total;
}

/**
 * Samples the resident memory of `pid` and its descendants every `ms` until `stop()`, which
 * returns the peak seen (a sampled figure: a process shorter than `ms` may be missed).
 */
export function sampleTreePeak(pid: number, ms = 25): { stop(): number } {
  let peak = treeRss(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss(pid));
  }, ms);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** The peak resident memory (VmHWM) of `pid` (default: this process), in bytes; 0 off Linux. */
export function vmHwm(pid: number | "self" = "self"): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system) of this process's finished, waited-for children so far (Linux,
 * from /proc/self/stat, in clock ticks of 10 ms); undefined elsewhere. The difference across a
 * child's run is that child's CPU time, its own waited-for children included.
 */
export function childrenCpuSeconds(): number | undefined {
  try {
    const stat = Deno.readTextFileSync("/proc/self/stat");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // cutime and cstime: fields 16 and 17 of stat(5), 14 and 15 after the command name.
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 where it cannot say). */
export const CLK_TCK = (() => {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"] }).outputSync();
    return Number(new TextDecoder().decode(out.stdout).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The fields of a `/proc/PID/stat` line after the command name, which is in parentheses and may
 * hold spaces: `[0]` is the state, `[1]` the parent, `[11]`/`[12]` user/system ticks, `[13]`/`[14]`
 * those of waited-for children.
 */
export function procStatFields(text: string): string[] {
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}
