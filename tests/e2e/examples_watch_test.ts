/**
 * The watcher examples against real servers: a local folder sent to OpenSSH's sshd as files
 * arrive (under `aft run` until Ctrl-C, and under `aft serve` until halted through the API), and
 * a vsftpd folder fetched to the local disk as files appear, across a restart of the job.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft } from "./_cli.ts";
import {
  eventually,
  example,
  type ExampleEnv,
  needsServers,
  textOf,
  withExampleEnv,
} from "./_examples.ts";
import { startService, stopClean } from "./_service.ts";
import { startSshd } from "../fixtures/sshd.ts";
import { startVsftpd } from "../fixtures/vsftpd.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

const count = (text: string, re: RegExp) => (text.match(new RegExp(re, "g")) ?? []).length;

/** Writes `total` bytes in `pieces` over about `ms`, as a slow producer would. */
async function writeSlowly(path: string, pieces: number, ms: number): Promise<Uint8Array> {
  const piece = new Uint8Array(128 * 1024).map((_, i) => (i * 7) % 251);
  const f = await Deno.open(path, { write: true, create: true });
  for (let i = 0; i < pieces; i++) {
    await f.write(piece);
    await new Promise((r) => setTimeout(r, ms / pieces));
  }
  f.close();
  return await Deno.readFile(path);
}

/**
 * sshd and an example environment with a local `outbox` and a server folder `remoteName`
 * entered in the VFS Library as `partner-sftp` (what the watch-folder-to-sftp example uses).
 */
async function withOutboxToSftp(
  remoteName: string,
  fn: (env: ExampleEnv, outbox: string, remote: string) => Promise<void>,
): Promise<void> {
  const server = await startSshd();
  try {
    await withExampleEnv(async (env) => {
      const outbox = await env.mkdir("outbox");
      const remote = join(server.dir, remoteName);
      await Deno.mkdir(remote);
      await env.addSftp("partner-sftp", server, remote);
      await fn(env, outbox, remote);
    });
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "example watch-folder-to-sftp: each file arrives once and complete; Ctrl-C ends with 0",
  ignore: needsServers,
}, async () => {
  await withOutboxToSftp("watch-upload", async (env, outbox, remote) => {
    const job = env.spawn("watch-folder-to-sftp", {
      watch_dir: outbox,
      remote_dir: "/inbox",
      delay_seconds: "2",
    });
    try {
      await job.until(/watching /);
      await Deno.writeTextFile(join(outbox, "orders.csv"), "id,qty\n1,2\n");
      // Never quiet for 2 s until complete: it must go once, whole.
      const slow = await writeSlowly(join(outbox, "slow.bin"), 8, 3500);
      await eventually(
        () => `both files at the server; log:\n${job.out}`,
        async () =>
          (await textOf(join(remote, "inbox", "orders.csv"))) !== undefined &&
          (await Deno.stat(join(remote, "inbox", "slow.bin")).then(() => true, () => false)),
      );
      assertSameBytes(await Deno.readFile(join(remote, "inbox", "slow.bin")), slow);
      // A changed file is sent again.
      await Deno.writeTextFile(join(outbox, "orders.csv"), "id,qty\n1,2\n3,4\n");
      await eventually(
        "the changed file at the server",
        async () => (await textOf(join(remote, "inbox", "orders.csv"))) === "id,qty\n1,2\n3,4\n",
      );
      await job.until(/uploaded .*orders\.csv[^]*uploaded .*orders\.csv/);
      const code = await job.interrupt();
      assert.equal(code, 0, job.out);
    } finally {
      await job.kill();
    }
    assert.equal(count(job.out, /uploaded .*slow\.bin/), 1, job.out);
    assert.equal(count(job.out, /uploaded .*orders\.csv/), 2, job.out);
    assert.match(job.out, /stopped: 3 uploaded, 0 failed/);
    // No temporary file left behind at the server.
    assert.deepEqual([...Deno.readDirSync(join(remote, "inbox"))].map((e) => e.name).sort(), [
      "orders.csv",
      "slow.bin",
    ]);
  });
});

Deno.test({
  name: "example watch-folder-to-sftp under aft serve: runs until halted through the API, exit 0",
  ignore: needsServers,
}, async () => {
  await withOutboxToSftp("watch-serve", async (env, outbox, remote) => {
    await env.ok(["script", "add", "folder-watch", "-f", example("watch-folder-to-sftp")]);
    const key = (await env.ok(["apikey", "create", "ci"])).stdout.trim();
    const cfg = { AFT_CONFIG_DIR: join(env.dir, "config") };
    const svc = await startService(env.data, { env: cfg });
    try {
      const started = await runAft([
        "start",
        "-n",
        "folder-watch",
        "-a",
        key,
        "--host",
        svc.host,
        "-p",
        JSON.stringify({ watch_dir: outbox, delay_seconds: "1" }),
      ], { data: env.data, env: cfg });
      assert.equal(started.code, 0, started.stderr);
      const id = started.stdout.trim();
      const log = async () => (await env.ok(["jobs", "log", id])).stdout;
      await eventually("the job watching", async () => /watching /.test(await log()));
      await Deno.writeTextFile(join(outbox, "report.txt"), "ready\n");
      await eventually(
        "the file at the server",
        async () => (await textOf(join(remote, "report.txt"))) === "ready\n",
      );
      // Halt through the REST API, as the UI does.
      const halt = await fetchInsecure(`https://${svc.host}/v1/adm/jobs/${id}/halt`, key);
      assert.ok(halt < 300, `halt answered ${halt}`);
      let job: { status: string; exitCode: number } = { status: "", exitCode: -1 };
      await eventually("the job ended", async () => {
        job = JSON.parse((await env.ok(["jobs", "show", id, "--json"])).stdout);
        return !["queued", "running"].includes(job.status);
      });
      assert.equal(job.status, "halted");
      assert.equal(job.exitCode, 0);
      assert.match(await log(), /stopped: 1 uploaded, 0 failed/);
    } finally {
      await stopClean(svc);
    }
  });
});

/** POSTs to the service's self-signed HTTPS endpoint with curl (`-k`), returning the status. */
async function fetchInsecure(url: string, key: string): Promise<number> {
  const out = await new Deno.Command("curl", {
    args: [
      "-sk",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-X",
      "POST",
      url,
      "-H",
      `X-API-Key: ${key}`,
    ],
  }).output();
  return Number(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name:
    "example watch-remote-download: new FTP files come down once; a restarted job skips old ones",
  ignore: needsServers,
}, async () => {
  const server = await startVsftpd({ tls: "explicit" });
  try {
    await withExampleEnv(async (env) => {
      const remote = join(server.dir, "outbox");
      await Deno.mkdir(remote);
      await Deno.writeTextFile(join(remote, "old.csv"), "already here\n");
      const local = await env.mkdir("inbox");
      await env.addFtp("partner-ftp", server, remote);
      const params = { vfs: "partner-ftp", local_dir: local, poll_seconds: "1" };
      let job = env.spawn("watch-remote-download", params);
      try {
        await job.until(/watching partner-ftp/);
        await Deno.mkdir(join(remote, "2026"));
        await Deno.writeTextFile(join(remote, "2026", "new.csv"), "fresh\n");
        await Deno.writeTextFile(join(remote, "top.txt"), "top\n");
        await eventually(
          "both new files downloaded",
          async () =>
            (await textOf(join(local, "2026", "new.csv"))) === "fresh\n" &&
            (await textOf(join(local, "top.txt"))) === "top\n",
        );
        assert.equal(await job.interrupt(), 0, job.out);
      } finally {
        await job.kill();
      }
      assert.equal(
        await textOf(join(local, "old.csv")),
        undefined,
        "a file there before the start",
      );
      assert.equal(count(job.out, /downloaded /), 2, job.out);

      // Restarted: what it saw last time is not fetched again; only news is.
      await Deno.remove(join(local, "top.txt"));
      job = env.spawn("watch-remote-download", params);
      try {
        await job.until(/watching partner-ftp/);
        await Deno.writeTextFile(join(remote, "later.csv"), "later\n");
        await eventually(
          "the later file",
          async () => (await textOf(join(local, "later.csv"))) === "later\n",
        );
        // Two more polls with nothing new.
        await new Promise((r) => setTimeout(r, 2500));
        assert.equal(await job.interrupt(), 0, job.out);
      } finally {
        await job.kill();
      }
      assert.equal(count(job.out, /downloaded /), 1, job.out);
      assert.equal(await textOf(join(local, "top.txt")), undefined);
    });
  } finally {
    await server.stop();
  }
});
