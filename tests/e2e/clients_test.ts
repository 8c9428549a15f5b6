/**
 * The v3 client objects (SftpClient, FtpsClient, S3Client) in a script under `aft run`, against
 * real servers on 127.0.0.1: connect, make folders, upload, list, stat, download, delete.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { startSshd } from "../fixtures/sshd.ts";
import { startVsftpd } from "../fixtures/vsftpd.ts";
import { startS3Server } from "../fixtures/s3server.ts";

/** The same script body for every client: `client` is connected by the prelude lines. */
const BODY = `
if (!c.Connect()) { Log.Error("connect: " + c.LastError); Exit(1); }
var base = Params("base");
if (!c.MakeDir(base + "/in")) { Log.Error("mkdir: " + c.LastError); Exit(1); }
if (!c.Upload(Params("local") + "/*.csv", base + "/in")) { Log.Error("upload: " + c.LastError); Exit(1); }
var files = c.ListFiles(base + "/in", "*.csv");
Log.Info("listed " + files.map(function (f) { return f.Name + ":" + f.Size; }).sort().join(","));
var st = c.Stat(base + "/in/a.csv");
Log.Info("stat " + (st && st.Size));
if (c.Stat(base + "/in/none.csv") !== null) { Log.Error("stat of a missing file"); Exit(1); }
Log.Info("missing: " + (c.LastError ? "error recorded" : "no error"));
if (!c.Download(base + "/in/*.csv", Params("back"))) { Log.Error("download: " + c.LastError); Exit(1); }
if (!c.DelFile(base + "/in/b.csv")) { Log.Error("delete: " + c.LastError); Exit(1); }
Log.Info("after delete " + c.ListDir(base + "/in", LIST_FILES).length);
c.Close();
`;

async function runClient(prelude: string, base: string) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-clients-" });
  try {
    const local = join(dir, "local");
    const back = join(dir, "back");
    await Deno.mkdir(local);
    await Deno.mkdir(back);
    await Deno.writeTextFile(join(local, "a.csv"), "a,b\n1,2\n");
    await Deno.writeTextFile(join(local, "b.csv"), "x\n");
    await Deno.writeTextFile(join(local, "skip.txt"), "no\n");
    const script = join(dir, "client.syncjs");
    await Deno.writeTextFile(script, prelude + BODY);
    assert.equal((await runAft(["settings", "set", "allowCliRun", "true"], { data })).code, 0);
    const r = await runAft([
      "run",
      "-f",
      script,
      "-p",
      JSON.stringify({ base, local, back }),
    ], { data });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /listed a\.csv:8,b\.csv:2/);
    assert.match(r.stdout, /stat 8/);
    assert.match(r.stdout, /missing: error recorded/);
    assert.match(r.stdout, /after delete 1/);
    assert.equal(await Deno.readTextFile(join(back, "a.csv")), "a,b\n1,2\n");
    assert.equal(await Deno.readTextFile(join(back, "b.csv")), "x\n");
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

const linuxOnly = { ignore: Deno.build.os !== "linux" }; // servers come from .ci/setup
/** vsftpd logs in a throw-away system account, which only root can make. */
const linuxRoot = { ignore: Deno.build.os !== "linux" || Deno.uid() !== 0 };

Deno.test({ name: "SftpClient: v3 methods over OpenSSH", ...linuxOnly }, async () => {
  const s = await startSshd();
  try {
    await runClient(
      `var c = new SftpClient();
c.Host = "127.0.0.1:${s.port}"; c.User = "${s.user}"; c.KeyFile = "${s.keys.openssh}";
c.HostKeySHA256 = "${s.hostKeySHA256}";`,
      s.dir,
    );
  } finally {
    await s.stop();
  }
});

Deno.test(
  { name: "FtpsClient: v3 methods over vsftpd with explicit TLS (as root)", ...linuxRoot },
  async () => {
    const s = await startVsftpd({ tls: "explicit" });
    try {
      await runClient(
        `var c = new FtpsClient();
c.Host = "127.0.0.1:${s.port}"; c.User = "${s.user}"; c.Pass = "${s.pass}";
c.TLSMode = TLS_MODE_EXPLICIT; c.TLSInsecure = true;`,
        s.dir,
      );
    } finally {
      await s.stop();
    }
  },
);

Deno.test({ name: "S3Client: v3 methods over an S3-compatible server", ...linuxOnly }, async () => {
  const s = await startS3Server();
  try {
    const mk = await new Deno.Command("curl", {
      args: ["-sS", "-X", "PUT", `${s.endpoint}/clients`],
      stdout: "null",
    }).output();
    assert.ok(mk.success);
    await runClient(
      `var c = new S3Client();
c.Bucket = "clients"; c.Region = "${s.region}"; c.Endpoint = "${s.endpoint}";
c.APIKeyID = "${s.accessKeyId}"; c.APIKeySecret = "${s.secretAccessKey}";`,
      "",
    );
  } finally {
    await s.stop();
  }
});
