/**
 * Start-up benchmark: `aft run` of a one-line script (`examples/hello.syncjs`), the whole
 * process, against an empty `deno run` (the peer: the least any Deno program costs) in the same
 * run. Three command lines, run alternately, round after round:
 *
 *   - `deno run ... main.ts run -f ...`   what a compiled binary approximates;
 *   - `deno task -q aft run -f ...`       what the README tells users to type (`deno task`
 *                                         adds its own start);
 *   - `deno run empty.js`                 the peer;
 *   - the compiled binary, with `--bin ./aft` (or `AFT_BIN`).
 *
 * Prints, for each, the median and best wall time (in ms: the target is 0.15 s), the median CPU
 * time (user + system, the process and its children), peak resident memory (with GNU time
 * installed), and the ratio to the peer; then, with `--timeline`, one `aft run --timings` to
 * show where the time goes.
 *
 * The timed runs start the command itself. Until the fourteenth sitting they ran it under GNU
 * time for its peak memory, whose own fork and exec were in every wall time (4 to 6 ms here: an
 * empty `deno run` took a median 54.7 and 56.6 ms under it against 50.3 and 50.7 ms without,
 * two sets of 20); peak memory now comes from one more run of each command under GNU time.
 *
 *   deno task bench:startup [--rounds 20] [--timeline] [--service] [--bin ./aft] [--allow-busy]
 *
 * `--service` adds two rows with `aft serve` running on a data directory of its own: `aft run`
 * of the same script handed to the service (its log streamed back), and `aft start --wait` of
 * it stored, with an API key, as a CI job would; each to the end of the job.
 *
 * Linux (CPU time from /proc). Needs a quiet machine (see `_machine.ts`); `hyperfine` is not
 * needed, but gives the same figures with aft's flags (`src/deno_flags.ts`): `hyperfine -N
 * 'deno run -A --unstable-worker-options --unstable-lazy-dynamic-imports --v8-flags=--no-lazy
 * main.ts --data DIR run -f examples/hello.syncjs'` (other V8 flags than aft's make each run
 * compile again what the code cache holds for aft's).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { aftCommand } from "../tests/e2e/_cli.ts";
import { type RunningService, startService } from "../tests/e2e/_service.ts";
import { childrenCpuSeconds, fmtMiB, fmtSecs, machineCheck, median, ratio } from "./_machine.ts";

const machine = machineCheck(Deno.args);
const { values } = parseArgs({
  args: machine.args,
  options: {
    rounds: { type: "string", default: "20" },
    timeline: { type: "boolean", default: false },
    service: { type: "boolean", default: false },
    bin: { type: "string" },
  },
});
const rounds = Math.max(3, Number(values.rounds));
const ROOT = new URL("..", import.meta.url).pathname;
const HELLO = join(ROOT, "examples", "hello.syncjs");
const TARGET_SECS = 0.15;

/** Seconds as milliseconds: "151.2 ms". */
const fmtMs = (s: number) => `${(s * 1000).toFixed(1)} ms`;

/** GNU time, for the peak resident memory of a command and its waited-for children. */
const GNU_TIME = await Deno.stat("/usr/bin/time").then(() => "/usr/bin/time", () => undefined);

interface Sample {
  wall: number;
  cpu?: number;
  rss?: number;
}

interface Variant {
  name: string;
  cmd: string[];
  cwd: string;
  samples: Sample[];
}

const dir = await Deno.makeTempDir({ prefix: "aft-bench-startup-" });
let service: RunningService | undefined;
try {
  const data = join(dir, "data");
  const empty = join(dir, "empty.js");
  await Deno.writeTextFile(empty, "");
  const aft = aftCommand();
  const setup = await new Deno.Command(aft[0]!, {
    args: [...aft.slice(1), "--data", data, "settings", "set", "allowCliRun", "true"],
    stdout: "null",
  }).output();
  if (!setup.success) throw new Error("aft settings set allowCliRun true failed");

  const runArgs = ["--data", data, "run", "-f", HELLO, "-p", '{"name":"bench"}'];
  const variants: Variant[] = [
    { name: "deno run main.ts run", cmd: [...aft, ...runArgs], cwd: ROOT, samples: [] },
    {
      name: "deno task -q aft run",
      cmd: [Deno.execPath(), "task", "-q", "aft", ...runArgs],
      cwd: ROOT,
      samples: [],
    },
  ];
  // With --service, the same one-line script with `aft serve` running: `aft run` hands the job
  // to it (the log comes back over the local channel), and `aft start --wait` queues it as a
  // stored script with an API key, as from a CI job; both to the end of the job.
  if (values.service) {
    const run = async (args: string[]) => {
      const out = await new Deno.Command(aft[0]!, {
        args: [...aft.slice(1), "--data", data, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) {
        throw new Error(`aft ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
      }
      return new TextDecoder().decode(out.stdout).trim();
    };
    await run(["script", "add", "hello", "-f", HELLO]);
    const key = await run(["apikey", "create", "bench"]);
    service = await startService(data);
    variants.push(
      {
        name: "aft run, handed to aft serve",
        cmd: [...aft, ...runArgs],
        cwd: ROOT,
        samples: [],
      },
      {
        name: "aft start --wait",
        cmd: [...aft, "--data", data, "start", "-n", "hello", "-a", key, "--wait"],
        cwd: ROOT,
        samples: [],
      },
    );
    // The in-process rows need the data directory without a service: their own.
    const alone = join(dir, "alone");
    for (const v of variants.slice(0, 2)) {
      v.cmd = v.cmd.map((a) => a === data ? alone : a);
    }
    const setup2 = await new Deno.Command(aft[0]!, {
      args: [...aft.slice(1), "--data", alone, "settings", "set", "allowCliRun", "true"],
      stdout: "null",
    }).output();
    if (!setup2.success) throw new Error("aft settings set allowCliRun true failed");
  }
  const bin = values.bin ?? Deno.env.get("AFT_BIN");
  if (bin) {
    variants.push({ name: "compiled aft run", cmd: [bin, ...runArgs], cwd: ROOT, samples: [] });
  }
  const peer: Variant = {
    name: "deno run empty.js (peer)",
    cmd: [Deno.execPath(), "run", empty],
    cwd: dir,
    samples: [],
  };
  variants.push(peer);

  const rssFile = join(dir, "rss");
  /** One run of `v`; under GNU time with `measureRss`, for its peak memory only. */
  const once = async (v: Variant, measureRss = false): Promise<Sample> => {
    const withTime = measureRss && GNU_TIME !== undefined;
    const cmd = withTime ? [GNU_TIME!, "-f", "%M", "-o", rssFile, ...v.cmd] : v.cmd;
    const cpu0 = childrenCpuSeconds();
    const t0 = performance.now();
    const out = await new Deno.Command(cmd[0]!, {
      args: cmd.slice(1),
      cwd: v.cwd,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = childrenCpuSeconds();
    if (!out.success) {
      throw new Error(`${v.name} failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const rss = withTime ? Number((await Deno.readTextFile(rssFile)).trim()) * 1024 : undefined;
    return { wall, cpu: cpu0 === undefined ? undefined : cpu1! - cpu0, rss };
  };

  // One round to fill Deno's caches (compiled modules, npm resolution), not counted.
  for (const v of variants) await once(v);
  for (let r = 0; r < rounds; r++) {
    // Each round starts with another command, so none always runs first.
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      v.samples.push(await once(v));
    }
  }
  const peakRss = new Map<Variant, number | undefined>();
  for (const v of variants) peakRss.set(v, (await once(v, true)).rss);

  const peerWall = median(peer.samples.map((s) => s.wall));
  console.log(
    `\naft run of examples/hello.syncjs, whole process: ${rounds} rounds, commands alternating`,
  );
  const head = ["command", "median wall", "best wall", "median CPU", "peak RSS", "wall / peer"];
  const rows = variants.map((v) => {
    const walls = v.samples.map((s) => s.wall);
    const cpus = v.samples.flatMap((s) => s.cpu === undefined ? [] : [s.cpu]);
    const rss = peakRss.get(v);
    return [
      v.name,
      fmtMs(median(walls)),
      fmtMs(Math.min(...walls)),
      cpus.length ? fmtSecs(median(cpus)) : "n/a",
      rss !== undefined ? fmtMiB(rss) : "n/a",
      v === peer ? "1.00" : ratio(median(walls), peerWall),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(head));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log(
    `\ntarget: aft run at most ${TARGET_SECS} s wall (issue 17); CPU time is in 10 ms ticks` +
      (GNU_TIME ? "; peak RSS is the largest process of the command (GNU time, one more run)" : ""),
  );

  if (values.timeline) {
    const out = await new Deno.Command(aft[0]!, {
      args: [...aft.slice(1), ...runArgs, "--timings"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    console.log(`\n${new TextDecoder().decode(out.stderr).trimEnd()}`);
  }
  machine.footer();
} finally {
  if (service) await service.stop();
  await Deno.remove(dir, { recursive: true });
}
