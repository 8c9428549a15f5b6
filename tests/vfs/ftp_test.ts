/**
 * The FTP and FTPS backends against a real vsftpd on 127.0.0.1 (tests/fixtures/vsftpd.ts):
 * the whole conformance suite over plain FTP, explicit and implicit TLS, clear errors, and
 * interoperability with curl.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { openFtp } from "../../src/vfs/ftp/ftp.ts";
import { copyToVfs } from "../../src/vfs/copy.ts";
import { DiskVfs } from "../../src/vfs/disk/disk.ts";
import { isVfsError } from "../../src/vfs/types.ts";
import { type FtpServer, startVsftpd } from "../fixtures/vsftpd.ts";
import { conformance } from "./conformance.ts";
import { onBytesRead } from "./_util.ts";
import { assertSameBytes } from "../fixtures/same_bytes.ts";

// vsftpd is installed by .ci/setup on Linux; the macOS and Windows CI jobs run the suites that
// need no server. vsftpd logs in a throw-away system account, which only root can make.
if (Deno.build.os !== "linux" || Deno.uid() !== 0) {
  Deno.test({ name: "ftp suite (runs on Linux as root, against vsftpd)", ignore: true, fn() {} });
} else {
  const plain = await startVsftpd({ tls: "explicit" });
  const implicit = await startVsftpd({ tls: "implicit" });
  const noSecrets = { getSecret: () => Promise.resolve(undefined), localRoots: [] };
  let n = 0;
  const caFile = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(caFile, plain.certPem);
  const implicitCa = await Deno.makeTempFile({ suffix: ".pem" });
  await Deno.writeTextFile(implicitCa, implicit.certPem);
  // Also when a --filter skips the last test.
  globalThis.addEventListener("unload", () => {
    plain.stop();
    implicit.stop();
    for (const f of [caFile, implicitCa]) {
      try {
        Deno.removeSync(f);
      } catch { /* removed by the last test */ }
    }
  });

  const subject =
    (server: FtpServer, scheme: string, options: Record<string, string>) => async () => {
      const dir = join(server.dir, `s${n++}`);
      await Deno.mkdir(dir);
      await Deno.chmod(dir, 0o777);
      const vfs = await openFtp({
        name: "t",
        type: scheme === "ftp" ? "ftp" : "ftps",
        target: `${scheme}://${server.user}@127.0.0.1:${server.port}${dir}`,
        options: { pass: server.pass, ...options },
      }, noSecrets);
      return {
        vfs,
        cleanup: async () => {
          await vfs.close();
          await Deno.remove(dir, { recursive: true });
        },
      };
    };

  conformance("ftp", subject(plain, "ftp", {}));
  conformance("ftps (explicit TLS)", subject(plain, "ftps", { caFile }), { largeMiB: 20 });
  conformance(
    "ftps (implicit TLS)",
    subject(implicit, "ftps", { tls: "implicit", caFile: implicitCa }),
    { largeMiB: 20 },
  );

  Deno.test("ftp: a wrong password, an untrusted certificate and nothing listening give one clear error", async () => {
    const target = `ftp://${plain.user}@127.0.0.1:${plain.port}${plain.dir}`;
    await assert.rejects(
      openFtp({ name: "t", type: "ftp", target, options: { pass: "wrong" } }, noSecrets),
      (e) => isVfsError(e, "AUTH_FAILED"),
    );
    await assert.rejects(
      openFtp({
        name: "t",
        type: "ftps",
        target: target.replace("ftp:", "ftps:"),
        options: { pass: plain.pass },
      }, noSecrets),
      (e) =>
        isVfsError(e, "CONNECTION") && /self-signed|trusted authority/.test(e.message) &&
        !e.retryable,
    );
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    await assert.rejects(
      openFtp(
        { name: "t", type: "ftp", target: `ftp://x@127.0.0.1:${port}/`, options: {} },
        noSecrets,
      ),
      (e) => isVfsError(e, "CONNECTION"),
    );
  });

  Deno.test("ftp: a target folder that does not exist is named in the error", async () => {
    const missing = join(plain.dir, "no-such-folder");
    await assert.rejects(
      openFtp({
        name: "t",
        type: "ftp",
        target: `ftp://${plain.user}@127.0.0.1:${plain.port}${missing}`,
        options: { pass: plain.pass },
      }, noSecrets),
      (e) =>
        isVfsError(e, "NOT_FOUND") &&
        e.message.startsWith(`The folder "${missing}" does not exist on 127.0.0.1:${plain.port}`),
    );
  });

  Deno.test("ftp: files aft writes read back identical through curl, and back", async () => {
    const dir = join(plain.dir, "interop");
    await Deno.mkdir(dir);
    await Deno.chmod(dir, 0o777);
    const vfs = await openFtp({
      name: "t",
      type: "ftp",
      target: `ftp://${plain.user}@127.0.0.1:${plain.port}${dir}`,
      options: { pass: plain.pass },
    }, noSecrets);
    const local = await Deno.makeTempDir();
    try {
      const data = new Uint8Array(3 * 1024 * 1024 + 3);
      for (let i = 0; i < data.length; i += 1024) data[i] = (i >> 10) & 0xff;
      const w = (await vfs.openWrite("/from aft.bin")).getWriter();
      await w.write(data);
      await w.close();
      // curl takes an FTP URL's path as relative to the login folder; %2F makes it absolute.
      const url = `ftp://127.0.0.1:${plain.port}/%2F${dir.slice(1)}/`;
      const auth = `${plain.user}:${plain.pass}`;
      const got = await new Deno.Command("curl", {
        args: ["-sS", "--user", auth, url + "from%20aft.bin"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(got.success, new TextDecoder().decode(got.stderr));
      assertSameBytes(got.stdout, data);
      await Deno.writeFile(join(local, "up.bin"), data.slice().reverse());
      const put = await new Deno.Command("curl", {
        args: ["-sS", "--user", auth, "-T", join(local, "up.bin"), url + "from%20curl.bin"],
      }).output();
      assert.ok(put.success, new TextDecoder().decode(put.stderr));
      const back = new Uint8Array(
        await new Response(await vfs.openRead("/from curl.bin")).arrayBuffer(),
      );
      assertSameBytes(back, data.slice().reverse());
    } finally {
      await vfs.close();
      await Deno.remove(local, { recursive: true });
    }
  });

  Deno.test("ftps: an expired certificate gives one clear error, even when trusted", async () => {
    const server = await startVsftpd({ tls: "explicit", expiredCert: true });
    const ca = await Deno.makeTempFile({ suffix: ".pem" });
    try {
      await Deno.writeTextFile(ca, server.certPem);
      await assert.rejects(
        openFtp({
          name: "t",
          type: "ftps",
          target: `ftps://${server.user}@127.0.0.1:${server.port}${server.dir}`,
          options: { pass: server.pass, caFile: ca },
        }, noSecrets),
        (e) =>
          isVfsError(e, "CONNECTION") && !e.retryable &&
          e.message.includes("certificate expired on 2020-01-02T00:00:00.000Z"),
      );
    } finally {
      await server.stop();
      await Deno.remove(ca);
    }
  });

  Deno.test("ftp: a server dropping mid-file: resumed on a new connection, else one clear error and nothing half-written", async () => {
    const MiB = 1024 * 1024;
    // Its own server: killing its sessions must not touch the other tests' connections.
    const server = await startVsftpd();
    const local = await Deno.makeTempDir();
    const data = new Uint8Array(40 * MiB);
    for (let i = 0; i < data.length; i += 4096) data[i] = (i >> 12) & 0xff;
    try {
      const ftp = await openFtp({
        name: "t",
        type: "ftp",
        target: `ftp://${server.user}@127.0.0.1:${server.port}${server.dir}`,
        options: { pass: server.pass },
      }, noSecrets);
      const disk = await DiskVfs.open(local);
      await Deno.writeFile(join(local, "big.bin"), data);
      await Deno.writeFile(join(server.dir, "big.bin"), data);
      await Deno.mkdir(join(local, "in"));
      await Deno.mkdir(join(server.dir, "in"));
      await Deno.chmod(join(server.dir, "in"), 0o777);
      try {
        for (
          const [label, from, to, landing] of [
            ["upload", disk, ftp, join(server.dir, "in")],
            ["download", ftp, disk, join(local, "in")],
          ] as const
        ) {
          for (const retries of [2, 0]) {
            let killed = 0;
            // The server's sessions die once 8 MiB have gone through.
            const source = onBytesRead(from, 8 * MiB, () => killed += server.dropSessions());
            const r = await copyToVfs(source, "/big.bin", to, "/in", { retries });
            const left = [...Deno.readDirSync(landing)].map((e) => e.name);
            const what = `${label}, retries ${retries}`;
            assert.ok(killed > 0, `${what}: sessions were killed`);
            if (retries > 0) {
              assert.ok(r.ok, `${what}: ${JSON.stringify(r.errors)}`);
              assert.deepEqual(left, ["big.bin"], what);
              assert.ok(
                (await Deno.readFile(join(landing, "big.bin"))).every((b, i) => b === data[i]),
                `${what}: byte-identical`,
              );
              await Deno.remove(join(landing, "big.bin"));
            } else {
              assert.equal(r.ok, false, what);
              assert.equal(r.errors.length, 1, what);
              assert.match(r.errors[0]!.code, /^(CONNECTION|VERIFY_FAILED)$/, what);
              assert.deepEqual(left, [], `${what}: nothing half-written`);
            }
          }
        }
      } finally {
        await ftp.close();
      }
    } finally {
      await server.stop();
      await Deno.remove(local, { recursive: true });
    }
  });

  Deno.test("ftp: stop the servers", async () => {
    await plain.stop();
    await implicit.stop();
    await Deno.remove(caFile);
    await Deno.remove(implicitCa);
  });
}
