/**
 * SFTP through the whole product: `aft vfs add/test` against a real OpenSSH server (trust on
 * first use records the host key), then a script copying to it under `aft run`; a changed host
 * key makes the job fail with a clear message and writes nothing.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { startSshd } from "../fixtures/sshd.ts";

Deno.test({
  name: "aft run copies to an SFTP VFS; the host key is pinned on first use",
  // OpenSSH's sshd is installed by .ci/run on Linux only.
  ignore: Deno.build.os !== "linux",
}, async () => {
  const server = await startSshd();
  const data = await tempDataDir();
  const local = await Deno.makeTempDir({ prefix: "aft-sftp-e2e-" });
  const ok = async (args: string[]) => {
    const r = await runAft(args, { data });
    assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}${r.stdout}`);
    return r;
  };
  try {
    const remoteDir = join(server.dir, "inbox");
    await Deno.mkdir(remoteDir);
    await Deno.writeTextFile(join(local, "orders.csv"), "id,qty\n1,2\n");
    await ok(["settings", "set", "allowCliRun", "true"]);
    await ok(["vfs", "add", "local", "--type", "disk", "--target", local]);
    const target = `sftp://${server.user}@127.0.0.1:${server.port}${remoteDir}`;
    await ok([
      "vfs",
      "add",
      "remote",
      "--type",
      "sftp",
      "--target",
      target,
      "--opt",
      `keyFile=${server.keys.openssh}`,
    ]);
    const t = await ok(["vfs", "test", "remote"]);
    assert.match(t.stderr, /recorded the host key of "remote"/);
    const shown = JSON.parse((await ok(["vfs", "show", "remote", "--json"])).stdout);
    assert.equal(shown.options.hostKeySHA256, server.hostKeySHA256);

    const script = join(local, "copy.syncjs");
    await Deno.writeTextFile(
      script,
      `var r = VirtualFSByName("local").CopyToVFS("/orders.csv", VirtualFSByName("remote"), "/2026");
if (!r.Ok()) { Log.Error(r.ErrorMsg()); Exit(1); }
Log.Info("copied " + r.Files());`,
    );
    const run = await ok(["run", "-f", script, "--timings"]);
    assert.match(run.stdout, /copied 1/);
    // The timeline shows the connection's steps, in order.
    const steps = [
      "VFS modules loaded",
      "sftp backend loaded",
      `SFTP 127.0.0.1:${server.port} TCP connected`,
      `SFTP 127.0.0.1:${server.port} keys agreed (`,
      `SFTP 127.0.0.1:${server.port} signed in`,
      `SFTP 127.0.0.1:${server.port} SFTP session open`,
      "[worker] script ended",
    ];
    const at = steps.map((s) => run.stderr.indexOf(s));
    assert.ok(at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1]!)), run.stderr);
    assert.equal(await Deno.readTextFile(join(remoteDir, "2026", "orders.csv")), "id,qty\n1,2\n");

    // The server's key changes (a pinned wrong key stands in for it): refused, nothing written.
    await ok([
      "vfs",
      "add",
      "remote",
      "--replace",
      "--type",
      "sftp",
      "--target",
      target,
      "--opt",
      `keyFile=${server.keys.openssh}`,
      "--opt",
      `hostKeySHA256=SHA256:${"B".repeat(43)}`,
    ]);
    await Deno.remove(join(remoteDir, "2026"), { recursive: true });
    const bad = await runAft(["run", "-f", script], { data });
    assert.equal(bad.code, 1);
    assert.match(
      bad.stdout + bad.stderr,
      /host key of 127\.0\.0\.1:\d+ is SHA256:.*not the expected/,
    );
    assert.deepEqual([...Deno.readDirSync(remoteDir)], []);
  } finally {
    await server.stop();
    await Deno.remove(data, { recursive: true });
    await Deno.remove(local, { recursive: true });
  }
});
