/**
 * Zip, Unzip, PGPEncryptFile and PGPDecryptFile on one large file, side by side with the Debian
 * tools (`zip`, `unzip`, `gpg`) in the same run: time, ratio, and aft's peak resident memory
 * (each aft operation runs in its own process, whose VmHWM is read at the end); then both
 * archives' sizes.
 *
 *   deno task bench:archive            # 256 MiB
 *   deno task bench:archive -- 1024    # MiB
 *   deno task bench:archive -- --allow-busy  # report even when the load is above 1 (marked)
 *
 * Needs Linux (VmHWM), gpg, zip and unzip (installed by .ci/run).
 *
 * @module
 */

import { join } from "node:path";
import { mustRun } from "../tests/fixtures/command.ts";
import { startGpg } from "../tests/fixtures/gpg.ts";
import { machineCheck } from "./_machine.ts";

const machine = machineCheck(Deno.args);

const HOST = new URL("../src/runtime/runner/host/", import.meta.url).pathname;
const CONFIG = new URL("../deno.json", import.meta.url).pathname;

const run = async (cmd: string, args: string[]) =>
  new TextDecoder().decode(await mustRun(cmd, args));

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** Runs one aft host call in a fresh process; returns seconds and peak RSS (MiB). */
async function aftOp(op: string, args: string[]): Promise<{ secs: number; mib: number }> {
  const code = `
import { testContext } from "${HOST}_test_context.ts";
const [op, ...args] = Deno.args;
const ctx = testContext();
const mod = op.startsWith("pgp") ? await import("${HOST}openpgp.ts") : await import("${HOST}zip.ts");
const fn = { zip: "zipCall", unzip: "unzipCall", pgpEnc: "encryptCall", pgpDec: "decryptCall" }[op];
const t = performance.now();
const r = await mod[fn](ctx, args.map((a) => a.startsWith("@") ? Deno.readTextFileSync(a.slice(1)) : a));
if (!r.ok) throw new Error(r.error);
const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1]) / 1024;
console.log(JSON.stringify({ secs: (performance.now() - t) / 1000, mib: hwm }));
`;
  const out = await run(Deno.execPath(), [
    "eval",
    "--config",
    CONFIG,
    "--ext=ts",
    code,
    op,
    ...args,
  ]);
  return JSON.parse(out.trim().split("\n").pop()!);
}

const mib = Number(machine.args[0] ?? 256);
const dir = await Deno.makeTempDir({ prefix: "aft-bench-archive-" });
const cleanup: (() => Promise<void>)[] = [];
try {
  const big = join(dir, "big.bin");
  // Half random, half repeated text: compressible like real exports, not trivially so.
  const f = await Deno.open(big, { write: true, create: true });
  const rnd = new Uint8Array(1024 * 1024);
  const text = new TextEncoder().encode("2026-11-23;ACME;order;1234.50;SHIPPED\n".repeat(28000))
    .subarray(0, 1024 * 1024);
  for (let i = 0; i < mib; i++) {
    if (i % 2 === 0) {
      for (let o = 0; o < rnd.length; o += 65536) {
        crypto.getRandomValues(rnd.subarray(o, o + 65536));
      }
      await f.write(rnd);
    } else await f.write(text);
  }
  f.close();

  const gpg = await startGpg("pw");
  cleanup.push(() => gpg.close());
  const peerGpg = async (args: string[]) => {
    const o = await gpg.run(args);
    if (o.code !== 0) throw new Error(`gpg ${args.join(" ")}: ${o.stderr}`);
  };
  await Deno.writeTextFile(join(dir, "pub.asc"), gpg.publicKey);
  await Deno.writeTextFile(join(dir, "sec.asc"), gpg.privateKey);

  const rows: string[][] = [];
  const row = (what: string, a: { secs: number; mib: number }, peer: string, p: number) =>
    rows.push([
      what,
      `${a.secs.toFixed(2)} s`,
      `${peer} ${p.toFixed(2)} s`,
      (a.secs / p).toFixed(2),
      `${a.mib.toFixed(0)} MiB`,
    ]);

  const z = await aftOp("zip", [big, join(dir, "aft.zip")]);
  const zp = await timed(() => run("zip", ["-q", "-j", join(dir, "peer.zip"), big]));
  row(`Zip ${mib} MiB`, z, "`zip`", zp);
  const u = await aftOp("unzip", [join(dir, "aft.zip"), join(dir, "aft-out")]);
  const up = await timed(() =>
    run("unzip", ["-q", join(dir, "peer.zip"), "-d", join(dir, "peer-out")])
  );
  row(`Unzip ${mib} MiB`, u, "`unzip`", up);
  const e = await aftOp("pgpEnc", [big, join(dir, "aft.pgp"), "@" + join(dir, "pub.asc")]);
  const ep = await timed(() =>
    peerGpg(["--trust-model", "always", "-r", gpg.email, "-o", join(dir, "peer.pgp"), "-e", big])
  );
  row(`PGP encrypt ${mib} MiB`, e, "`gpg -e`", ep);
  const d = await aftOp("pgpDec", [
    join(dir, "aft.pgp"),
    join(dir, "aft.dec"),
    "@" + join(dir, "sec.asc"),
    "pw",
  ]);
  const dp = await timed(() =>
    peerGpg(["--passphrase", "pw", "-o", join(dir, "peer.dec"), "-d", join(dir, "aft.pgp")])
  );
  row(`PGP decrypt ${mib} MiB`, d, "`gpg -d`", dp);

  const same = async (a: string, b: string) =>
    (await run("cmp", [a, b]).then(() => true, () => false)) ? "" : " (OUTPUT DIFFERS)";
  console.log(`| | aft | peer | ratio | aft peak RSS |\n|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
  const size = async (p: string) => ((await Deno.stat(p)).size / 1048576).toFixed(2) + " MiB";
  console.log(
    `\narchive size: aft ${await size(join(dir, "aft.zip"))}, \`zip\` ${await size(
      join(dir, "peer.zip"),
    )}`,
  );
  console.log(
    `unzipped identical: ${await same(big, join(dir, "aft-out", "big.bin")) || "yes"}; ` +
      `gpg decrypts aft's file and aft decrypts it identically: ${
        (await same(big, join(dir, "peer.dec"))) || (await same(big, join(dir, "aft.dec"))) || "yes"
      }`,
  );
  machine.footer();
} finally {
  for (const fn of cleanup) await fn();
  await Deno.remove(dir, { recursive: true });
}
