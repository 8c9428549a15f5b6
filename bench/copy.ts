/**
 * Local copy benchmark: one large file copied between two Disk VFS entries by a script under
 * `aft run` (the full path: CLI, runner process, worker, copy engine), side by side with `cp`
 * in the same run. Prints both times, the ratio, and the peak resident memory of `aft` (the
 * CLI process and its runner, sampled from /proc, plus the runner's own high-water mark).
 *
 *   deno task bench                 # 1 GiB
 *   deno task bench --size-mib 256  # smaller
 *   deno task bench --allow-busy    # report even when the load is above 1 (marked)
 *
 * Linux only (reads /proc). The figures go into the README by hand, with this command.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { aftCommand } from "../tests/e2e/_cli.ts";
import { fmtMiB, machineCheck, sampleTreePeak } from "./_machine.ts";

const machine = machineCheck(Deno.args);
const { values } = parseArgs({
  args: machine.args,
  options: {
    "size-mib": { type: "string", default: "1024" },
    rounds: { type: "string", default: "2" },
    keep: { type: "boolean", default: false },
  },
});
const sizeMiB = Number(values["size-mib"]);
const rounds = Math.max(1, Number(values.rounds));
const MiB = 1024 * 1024;

const root = await Deno.makeTempDir({ prefix: "aft-bench-copy-" });
const data = `${root}/data`;
const srcDir = `${root}/src`;
const aftDst = `${root}/dst-aft`;
const cpDst = `${root}/dst-cp`;
for (const d of [srcDir, aftDst, cpDst]) await Deno.mkdir(d, { recursive: true });

async function aft(args: string[]): Promise<{ code: number; out: string; peakTree: number }> {
  const [cmd, ...pre] = aftCommand();
  const child = new Deno.Command(cmd!, {
    args: [...pre, "--data", data, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const peak = sampleTreePeak(child.pid, 25);
  const out = await child.output();
  const peakTree = peak.stop();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr), peakTree };
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

try {
  console.log(`--- writing a ${sizeMiB} MiB source file`);
  {
    const f = await Deno.open(`${srcDir}/big.bin`, { write: true, create: true });
    const chunk = new Uint8Array(8 * MiB);
    for (let i = 0; i < chunk.length; i += 65536) {
      crypto.getRandomValues(chunk.subarray(i, i + 65536));
    }
    for (let written = 0; written < sizeMiB * MiB; written += chunk.length) {
      chunk[0] = written & 0xff; // no two chunks alike
      const part = chunk.subarray(0, Math.min(chunk.length, sizeMiB * MiB - written));
      let off = 0;
      while (off < part.length) off += await f.write(part.subarray(off));
    }
    f.close();
  }

  for (
    const args of [
      ["settings", "set", "allowCliRun", "true"],
      ["vfs", "add", "bench-src", "--type", "disk", "--target", srcDir],
      ["vfs", "add", "bench-dst", "--type", "disk", "--target", aftDst],
    ]
  ) {
    const r = await aft(args);
    if (r.code !== 0) throw new Error(`aft ${args.join(" ")} failed: ${r.out}`);
  }
  const script = `${root}/copy.syncjs`;
  await Deno.writeTextFile(
    script,
    `var src = VirtualFSByName("bench-src");
var dst = VirtualFSByName("bench-dst");
var r = src.CopyToVFS("/big.bin", dst, "/", { overwrite: AlwaysOverwrite });
if (!r.Ok()) { Log.Error(r.ErrorMsg()); Exit(1); }
Log.Info("copied " + r.Bytes() + " bytes");
`,
  );

  // An empty job: the fixed cost of `aft run` (process start, runner, worker), reported apart.
  await Deno.writeTextFile(`${root}/empty.syncjs`, "Log.Info('empty');\n");
  const fixed = await timeIt(async () => {
    const r = await aft(["run", "-f", `${root}/empty.syncjs`]);
    if (r.code !== 0) throw new Error(`empty job failed: ${r.out}`);
  });

  const cpTimes: number[] = [];
  const aftTimes: number[] = [];
  let peakTree = 0;
  for (let i = 0; i < rounds; i++) {
    await Deno.remove(`${cpDst}/big.bin`).catch(() => {});
    cpTimes.push(
      await timeIt(async () => {
        const out = await new Deno.Command("cp", { args: [`${srcDir}/big.bin`, `${cpDst}/`] })
          .output();
        if (out.code !== 0) throw new Error("cp failed");
      }),
    );
    await Deno.remove(`${aftDst}/big.bin`).catch(() => {});
    aftTimes.push(
      await timeIt(async () => {
        const r = await aft(["run", "-f", script]);
        if (r.code !== 0) throw new Error(`aft run failed: ${r.out}`);
        peakTree = Math.max(peakTree, r.peakTree);
      }),
    );
  }

  const jobs = await aft(["jobs", "list", "--json", "--limit", "1"]);
  const last = JSON.parse(jobs.out)[0] as { peakRssBytes: number | null };
  const st = await Deno.stat(`${aftDst}/big.bin`);
  if (st.size !== sizeMiB * MiB) throw new Error(`copy has ${st.size} bytes`);
  const cmp = await new Deno.Command("cmp", { args: [`${srcDir}/big.bin`, `${aftDst}/big.bin`] })
    .output();
  if (cmp.code !== 0) throw new Error("the copy differs from the source");

  const cp = Math.min(...cpTimes);
  const af = Math.min(...aftTimes);
  const rate = (s: number) => `${(sizeMiB / s).toFixed(0)} MiB/s`;
  console.log(`\nlocal copy of ${sizeMiB} MiB, best of ${rounds} (warm page cache)`);
  console.log(`  cp                         ${cp.toFixed(2)} s  ${rate(cp)}`);
  console.log(`  aft run (CopyToVFS)        ${af.toFixed(2)} s  ${rate(af)}`);
  console.log(`  ratio aft/cp               ${(af / cp).toFixed(2)}`);
  console.log(`  aft fixed cost (empty job) ${fixed.toFixed(2)} s`);
  console.log(`  peak RSS, aft CLI + runner ${fmtMiB(peakTree)} (sampled every 25 ms)`);
  if (last.peakRssBytes !== null) {
    console.log(`  peak RSS, runner (VmHWM)   ${fmtMiB(last.peakRssBytes)}`);
  }
  console.log(`  copy verified byte for byte with cmp`);
  machine.footer();
} finally {
  if (!values.keep) await Deno.remove(root, { recursive: true });
  else console.log(`kept ${root}`);
}
