/**
 * `aft doctor` finds what usually goes wrong (a world-readable master key, a full disk, an
 * expired certificate, a stopped service, an unreachable SFTP entry) and exits 0 on a healthy
 * install.
 */

import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { runAft, tempDataDir } from "./_cli.ts";
import { freePort, startService, stopClean } from "./_service.ts";

interface Finding {
  name: string;
  status: string;
  detail: string;
  fix?: string;
}

async function doctor(data: string, args: string[] = []) {
  const r = await runAft(["doctor", "--json", ...args], { data });
  const out = JSON.parse(r.stdout) as { ok: boolean; checks: Finding[] };
  const find = (name: string | RegExp) => {
    const c = out.checks.find((c) =>
      typeof name === "string" ? c.name === name : name.test(c.name)
    );
    assert.ok(c, `no check ${name} in ${r.stdout}`);
    return c;
  };
  return { code: r.code, ...out, find, stderr: r.stderr };
}

/** A self-signed certificate valid from `from` to `to`, as PEM. */
async function certificate(from: Date, to: Date): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=localhost",
    notBefore: from,
    notAfter: to,
    signingAlgorithm: alg,
    keys,
  });
  return cert.toString("pem");
}

const DAY = 24 * 3600 * 1000;

Deno.test("aft doctor exits 0 on a healthy install, the service running", async () => {
  const data = await tempDataDir();
  try {
    assert.equal((await runAft(["secret", "set", "pw", "x"], { data })).code, 0);
    assert.equal(
      (await runAft(["vfs", "add", "here", "--type", "disk", "--target", data], { data })).code,
      0,
    );
    const svc = await startService(data);
    try {
      const d = await doctor(data, ["--vfs"]);
      assert.equal(d.code, 0, JSON.stringify(d.checks, null, 2));
      assert.equal(d.ok, true);
      assert.match(d.find("service").detail, /aft \S+ runs \(pid \d+/);
      const port = d.find("listen port");
      assert.match(port.detail, /held by this data directory's service/, port.detail);
      assert.equal(d.find("database integrity").status, "ok");
      assert.equal(d.find("TLS certificate").status, "ok");
      assert.equal(d.find('VFS "here"').status, "ok");
      const text = await runAft(["doctor"], { data });
      assert.equal(text.code, 0);
      assert.match(text.stdout, /^all is well/m);
    } finally {
      await stopClean(svc);
    }
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("aft doctor finds a world-readable master key, an expired certificate, a stopped service and an unreachable SFTP entry", async () => {
  const data = await tempDataDir();
  try {
    assert.equal((await runAft(["secret", "set", "pw", "x"], { data })).code, 0);
    const closed = freePort();
    const add = await runAft([
      "vfs",
      "add",
      "partner",
      "--type",
      "sftp",
      "--target",
      `sftp://someone@127.0.0.1:${closed}/in`,
      "--opt",
      "pass=nope",
    ], { data });
    assert.equal(add.code, 0, add.stderr);
    // Names stored before this version's checks: put in the store as an older aft left them.
    assert.equal((await runAft(["secret", "set", "old", "x"], { data })).code, 0);
    const db = new DatabaseSync(join(data, "aft.db"));
    db.prepare("UPDATE secrets SET name = '..' WHERE name = 'old'").run();
    db.close();
    if (Deno.build.os !== "windows") await Deno.chmod(join(data, "master.key"), 0o644);
    await Deno.mkdir(join(data, "tls"), { recursive: true, mode: 0o700 });
    const pem = join(data, "tls", "server.pem");
    await Deno.writeTextFile(
      pem,
      await certificate(new Date(Date.now() - 400 * DAY), new Date(Date.now() - DAY)),
    );

    const d = await doctor(data, ["--vfs"]);
    assert.equal(d.code, 1);
    assert.equal(d.ok, false);
    if (Deno.build.os !== "windows") {
      const key = d.find("master key permissions");
      assert.equal(key.status, "fail");
      assert.match(key.detail, /readable by every user \(mode 0644\)/);
      assert.match(key.fix!, /chmod 600/);
    }
    const cert = d.find("TLS certificate");
    assert.equal(cert.status, "fail");
    assert.match(cert.detail, /expired on/);
    const svc = d.find("service");
    assert.equal(svc.status, "fail");
    assert.match(svc.detail, /no aft service runs/);
    const names = d.find("stored names");
    assert.equal(names.status, "warn");
    assert.match(
      names.detail,
      /1 stored before this version's checks: A secret name cannot be "\.\." \(ID \w{26}\)/,
    );
    assert.match(names.fix!, /aft secret set NEW, then aft secret rm OLD/);
    const vfs = d.find('VFS "partner"');
    assert.equal(vfs.status, "fail");
    assert.match(vfs.fix!, /aft vfs test "partner"/);

    // A certificate with 10 days left is a warning.
    await Deno.writeTextFile(
      pem,
      await certificate(new Date(Date.now() - DAY), new Date(Date.now() + 10 * DAY)),
    );
    const soon = (await doctor(data)).find("TLS certificate");
    assert.equal(soon.status, "warn");
    assert.match(soon.detail, /expires in (9|10) day/);
  } finally {
    await Deno.remove(data, { recursive: true });
  }
});

function canMountTmpfs(): string | undefined {
  if (Deno.build.os !== "linux") return "tmpfs is Linux's";
  if (Deno.uid() !== 0) return "mounting a tmpfs needs root";
  return undefined;
}

Deno.test("aft doctor finds a full disk (a small tmpfs data directory)", async (t) => {
  const why = canMountTmpfs();
  if (why) {
    await t.step({ name: `skipped: ${why}`, ignore: true, fn: () => {} });
    return;
  }
  const mnt = await Deno.makeTempDir({ prefix: "aft-full-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mnt],
    stderr: "piped",
  }).output();
  if (mount.code !== 0) {
    await Deno.remove(mnt);
    const msg = new TextDecoder().decode(mount.stderr).trim();
    await t.step({
      name: `skipped: mount is not permitted here (${msg})`,
      ignore: true,
      fn: () => {},
    });
    return;
  }
  try {
    const data = join(mnt, "data");
    await Deno.mkdir(data, { recursive: true, mode: 0o700 });
    const before = await doctor(data);
    assert.equal(before.find("free disk space").status, "ok");
    // Fill it.
    const fill = await Deno.open(join(mnt, "fill"), { write: true, create: true });
    try {
      const chunk = new Uint8Array(64 * 1024);
      for (;;) await fill.write(chunk);
    } catch {
      /* full */
    } finally {
      fill.close();
    }
    const d = await doctor(data);
    assert.equal(d.code, 1);
    const disk = d.find("free disk space");
    assert.equal(disk.status, "fail");
    assert.match(disk.detail, /nearly full/);
    // The store cannot open on the full disk: the fix says why, and not to restore a backup
    // over a database that may well be sound (it said "aft restore FILE --force").
    const db = d.find("database integrity");
    assert.equal(db.status, "fail", JSON.stringify(db));
    assert.match(
      db.fix ?? "",
      /^the disk holding the data directory is full: free space and try again; the database itself may be sound/,
    );
  } finally {
    await new Deno.Command("umount", { args: [mnt] }).output();
    await Deno.remove(mnt, { recursive: true });
  }
});

Deno.test("aft doctor on a missing data directory says so once, exits 1 and makes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aft-doctor-" });
  try {
    const data = join(dir, "missing");
    const d = await doctor(data);
    assert.equal(d.code, 1);
    assert.deepEqual(d.checks.map((c) => [c.name, c.status]), [["data directory", "fail"]]);
    assert.match(d.find("data directory").detail, /missing" does not exist/);
    await assert.rejects(Deno.stat(data), "doctor made no data directory");
    const text = await runAft(["doctor"], { data });
    assert.equal(text.code, 1);
    assert.match(text.stdout, /FAIL {2}data directory: ".*missing" does not exist\n.*fix: /);
    assert.match(text.stdout, /1 problem\(s\)\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aft doctor warns, by ID, of records an older version stored under a name not in NFC, and says to rename them; they stay reachable by either spelling", async () => {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-doc-nfc-" });
  try {
    const f = join(dir, "s.syncjs");
    await Deno.writeTextFile(f, 'Log.Info("hi");');
    assert.equal((await runAft(["script", "add", "old", "-f", f], { data })).code, 0);
    assert.equal((await runAft(["secret", "set", "pw", "x"], { data })).code, 0);
    assert.equal((await doctor(data)).find("stored names").status, "ok");
    // As an older aft stored them: "café" as e + U+0301.
    const nfd = "cafe\u0301";
    const db = new DatabaseSync(join(data, "aft.db"));
    db.prepare("UPDATE scripts SET name = ?, name_key = ? WHERE name = 'old'").run(nfd, nfd);
    db.prepare("UPDATE secrets SET name = ? WHERE name = 'pw'").run(`pw-${nfd}`);
    const id = (db.prepare("SELECT id FROM scripts").get() as { id: string }).id;
    db.close();

    const names = (await doctor(data)).find("stored names");
    assert.equal(names.status, "warn");
    assert.match(names.detail, /2 stored before this version's checks/);
    assert.ok(
      names.detail.includes(`script "${nfd}" (ID ${id}) is not in Unicode NFC`),
      names.detail,
    );
    assert.match(names.detail, /secret "pw-cafe\u0301" \(ID \w{26}\) is not in Unicode NFC/);
    assert.match(names.fix!, /rename the script to the same name, which stores it in NFC/);
    assert.match(names.fix!, /aft secret rm NAME, then aft secret set NAME/);
    // Reachable by either spelling meanwhile.
    for (const spelling of [nfd, "caf\u00e9", "CAF\u00c9"]) {
      const show = await runAft(["script", "show", spelling], { data });
      assert.equal(show.code, 0, `${spelling}: ${show.stderr}`);
      assert.match(show.stdout, /Log\.Info/);
    }
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "aft doctor warns of allowed folders an older version stored as written, and gives the command that stores them resolved",
  {
    ignore: Deno.build.os === "windows",
  },
  async () => {
    const data = await tempDataDir();
    try {
      assert.equal(
        (await runAft(["settings", "set", "localRoots", '["/srv/in/../..", "/srv/in"]'], { data }))
          .code,
        0,
      );
      assert.equal((await doctor(data)).find("allowed folders").status, "ok");
      // As an older aft stored them: as written.
      const db = new DatabaseSync(join(data, "aft.db"));
      db.prepare("UPDATE settings SET value = ? WHERE key = 'localRoots'")
        .run(JSON.stringify(["/srv/in/../..", "/srv/in/", "/srv/in"]));
      db.close();
      const roots = (await doctor(data)).find("allowed folders");
      assert.equal(roots.status, "warn");
      assert.match(roots.detail, /localRoots holds "\/srv\/in\/\.\.\/\.\." \(that is "\/"\)/);
      assert.equal(
        roots.fix,
        `store them again, resolved: aft settings set localRoots '["/","/srv/in"]'`,
      );
    } finally {
      await Deno.remove(data, { recursive: true });
    }
  },
);
