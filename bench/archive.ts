/**
 * Zip, Unzip, PGPEncryptFile and PGPDecryptFile on one large file, side by side with the Debian
 * tools (`zip`, `unzip`, `gpg`) in the same run: time, ratio, and aft's peak resident memory
 * (each aft operation runs in its own process, whose VmHWM is read at the end); then both
 * archives' sizes. Each side runs twice, in the order aft, peer, peer, aft, and its best time
 * counts, so neither side is always the one that runs first (cold caches, the machine still
 * writing back the input or the other side's output); the input is written to disk (`sync`)
 * before the first run.
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

const sizeArg = machine.args[0] ?? "256";
const mib = Number(sizeArg);
if (!Number.isInteger(mib) || mib < 1) {
  console.error(`bench:archive: the size is a whole number of MiB, at least 1 (got "${sizeArg}")`);
  Deno.exit(2);
}
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

  /** Runs a step's aft side and peer side twice, aft first then peer first; the best of each. */
  const pair = async (
    what: string,
    peer: string,
    aftRun: () => Promise<{ secs: number; mib: number }>,
    peerRun: () => Promise<number>,
  ) => {
    const sides: { secs: number; mib: number }[] = [];
    const peers: number[] = [];
    for (const aftFirst of [true, false]) {
      if (aftFirst) sides.push(await aftRun());
      peers.push(await peerRun());
      if (!aftFirst) sides.push(await aftRun());
    }
    const a = sides[0]!.secs <= sides[1]!.secs ? sides[0]! : sides[1]!;
    row(
      what,
      { secs: a.secs, mib: Math.max(sides[0]!.mib, sides[1]!.mib) },
      peer,
      Math.min(...peers),
    );
  };
  await mustRun("sync", []);

  const aftZip = join(dir, "aft.zip"), peerZip = join(dir, "peer.zip");
  // Each side's output is removed before its run: `zip` adds to an archive that exists, and
  // `unzip` and `gpg` ask before overwriting.
  const once = async <T>(path: string, fn: () => Promise<T>) => {
    await Deno.remove(path, { recursive: true }).catch(() => {});
    return await fn();
  };
  await pair(
    `Zip ${mib} MiB`,
    "`zip`",
    () => once(aftZip, () => aftOp("zip", [big, aftZip])),
    () => once(peerZip, () => timed(() => run("zip", ["-q", "-j", peerZip, big]))),
  );
  await pair(
    `Unzip ${mib} MiB`,
    "`unzip`",
    () => once(join(dir, "aft-out"), () => aftOp("unzip", [aftZip, join(dir, "aft-out")])),
    () =>
      once(
        join(dir, "peer-out"),
        () => timed(() => run("unzip", ["-q", peerZip, "-d", join(dir, "peer-out")])),
      ),
  );
  await pair(
    `PGP encrypt ${mib} MiB`,
    "`gpg -e`",
    () =>
      once(
        join(dir, "aft.pgp"),
        () => aftOp("pgpEnc", [big, join(dir, "aft.pgp"), "@" + join(dir, "pub.asc")]),
      ),
    () =>
      once(
        join(dir, "peer.pgp"),
        () =>
          timed(() =>
            peerGpg([
              "--trust-model",
              "always",
              "-r",
              gpg.email,
              "-o",
              join(dir, "peer.pgp"),
              "-e",
              big,
            ])
          ),
      ),
  );
  await pair(
    `PGP decrypt ${mib} MiB`,
    "`gpg -d`",
    () =>
      once(
        join(dir, "aft.dec"),
        () =>
          aftOp("pgpDec", [
            join(dir, "aft.pgp"),
            join(dir, "aft.dec"),
            "@" + join(dir, "sec.asc"),
            "pw",
          ]),
      ),
    () =>
      once(
        join(dir, "peer.dec"),
        () =>
          timed(() =>
            peerGpg(["--passphrase", "pw", "-o", join(dir, "peer.dec"), "-d", join(dir, "aft.pgp")])
          ),
      ),
  );

  const same = async (a: string, b: string) =>
    (await run("cmp", [a, b]).then(() => true, () => false)) ? "" : " (OUTPUT DIFFERS)";
  console.log(
    "best of 2 each, run in the order aft, peer, peer, aft; peak RSS the larger of aft's two\n",
  );
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
