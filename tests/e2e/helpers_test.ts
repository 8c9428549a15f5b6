/**
 * The helpers through the real prelude under `aft run`: local-disk and path helpers inside the
 * `localRoots` setting (and a path outside refused with nothing written), Zip/Unzip and
 * PGPEncryptFile/PGPDecryptFile round trips, and SendMail with an attachment to a real SMTP
 * server on loopback.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { hasCommand, withExampleEnv } from "./_examples.ts";
import { runAft } from "./_cli.ts";
import { startGpg } from "../fixtures/gpg.ts";
import { startSmtp } from "../fixtures/smtp.ts";

async function runScript(data: string, dir: string, source: string) {
  const file = join(dir, `s${crypto.randomUUID().slice(0, 8)}.syncjs`);
  await Deno.writeTextFile(file, source);
  return await runAft(["run", "-f", file], { data });
}

Deno.test("local-disk and path helpers work inside localRoots; a path outside throws and writes nothing", async () => {
  await withExampleEnv(async (env) => {
    const root = await env.mkdir("allowed");
    const outside = await env.mkdir("outside");
    await env.setting("localRoots", JSON.stringify([root]));
    const r = await runScript(
      env.data,
      env.dir,
      `
var root = ${JSON.stringify(root)};
var out = {};
out.made = MakeDir(JoinPath(root, "a", "b")).Ok();
out.dirExists = DirExists(JoinPath(root, "a/b"));
out.write = WriteTextFile(JoinPath(root, "a", "b", "note.txt"), "héllo").Ok();
out.read = ReadTextFile(JoinPath(root, "a/b/note.txt"));
out.copy = CopyFile(JoinPath(root, "a/b/note.txt"), JoinPath(root, "copy.txt")).Ok();
out.move = MoveFile(JoinPath(root, "copy.txt"), JoinPath(root, "moved.txt")).Ok();
out.copyGone = FileExists(JoinPath(root, "copy.txt"));
out.list = ListLocal(root, "*.txt").map(function (f) { return f.Name + ":" + f.Size + ":" + f.IsDir; });
out.del = DelFile(JoinPath(root, "moved.txt")).Ok();
out.movedGone = !FileExists(JoinPath(root, "moved.txt"));
out.missing = ReadTextFile(JoinPath(root, "nope.txt"));
out.delMissing = DelFile(JoinPath(root, "nope.txt")).ErrorMsg() !== "";
out.name = ExtractFileName("/data/in/orders.2026.csv");
out.ext = ExtractFileExt("/data/in/orders.2026.csv");
out.path = ExtractFilePath("/data/in/orders.2026.csv");
out.winName = ExtractFileName("C:\\\\data\\\\in\\\\x.txt");
out.join = JoinPath("/data/", "/in/", "x.csv");
out.stampOk = !isNaN(new Date(Timestamp()).getTime());
out.fmt = FormatDateTime(new Date(Date.UTC(2026, 10, 3, 4, 5, 6)), "2006-01-02");
try {
  WriteTextFile(${JSON.stringify(join(outside, "x.txt"))}, "no");
  out.outside = "written";
} catch (e) {
  out.outside = String(e.message);
}
Log.Info("OUT " + JSON.stringify(out));
`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout.slice(r.stdout.indexOf("OUT ") + 4).split("\n")[0]!);
    assert.deepEqual(out, {
      made: true,
      dirExists: true,
      write: true,
      read: "héllo",
      copy: true,
      move: true,
      copyGone: false,
      list: ["moved.txt:6:false"],
      del: true,
      movedGone: true,
      missing: "",
      delMissing: true,
      name: "orders.2026.csv",
      ext: ".csv",
      path: "/data/in",
      winName: "x.txt",
      join: "/data/in/x.csv",
      stampOk: true,
      fmt: "2026-11-03",
      outside: out.outside,
    });
    assert.match(out.outside, /outside the allowed local folders|not inside|localRoots/i);
    assert.deepEqual([...Deno.readDirSync(outside)], []);
  });
});

Deno.test({
  name:
    "ListLocal follows a link inside localRoots, tells a link out of them or a broken one as the link itself",
  ignore: Deno.build.os === "windows", // symbolic links need a privilege there
}, async () => {
  await withExampleEnv(async (env) => {
    const root = await env.mkdir("allowed");
    const outside = await env.mkdir("outside");
    await env.setting("localRoots", JSON.stringify([root]));
    await Deno.writeTextFile(join(root, "in.txt"), "12345");
    await Deno.writeTextFile(join(outside, "secret.txt"), "x".repeat(4321));
    await Deno.mkdir(join(outside, "dir"));
    await Deno.symlink(join(root, "in.txt"), join(root, "a-inside.txt"));
    await Deno.symlink(join(outside, "secret.txt"), join(root, "b-out.txt"));
    await Deno.symlink(join(outside, "dir"), join(root, "c-outdir"));
    await Deno.symlink(join(root, "gone.txt"), join(root, "d-broken.txt"));
    const r = await runScript(
      env.data,
      env.dir,
      `Log.Info("OUT " + JSON.stringify(ListLocal(${
        JSON.stringify(root)
      }, "*").map(function (f) { return f.Name + ":" + f.Size + ":" + f.IsDir; })));`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout.slice(r.stdout.indexOf("OUT ") + 4).split("\n")[0]!);
    const linkSize = (name: string) => Deno.lstatSync(join(root, name)).size;
    assert.deepEqual(out, [
      "a-inside.txt:5:false",
      `b-out.txt:${linkSize("b-out.txt")}:false`,
      `c-outdir:${linkSize("c-outdir")}:false`,
      `d-broken.txt:${linkSize("d-broken.txt")}:false`,
      "in.txt:5:false",
    ]);
  });
});

Deno.test({
  name: "Zip/Unzip and PGPEncryptFile/PGPDecryptFile round trips through the prelude",
  // GnuPG makes the keys; .ci/run installs it on Linux.
  ignore: !hasCommand("gpg"),
}, async () => {
  await withExampleEnv(async (env) => {
    const gpg = await startGpg("pw");
    await gpg.close(); // only its keys are needed
    await Deno.writeTextFile(join(env.dir, "pub.asc"), gpg.publicKey);
    await Deno.writeTextFile(join(env.dir, "sec.asc"), gpg.privateKey);
    for (const [name, file] of [["pub", "pub.asc"], ["sec", "sec.asc"]]) {
      await env.ok(["secret", "set", name!, "--from-file", join(env.dir, file!)]);
    }
    await env.secret("pass", "pw");
    const src = await env.mkdir("src/sub");
    await Deno.writeTextFile(join(src, "a.csv"), "a\n");
    await Deno.writeFile(join(src, "..", "b.bin"), crypto.getRandomValues(new Uint8Array(60_000)));
    const d = JSON.stringify(env.dir);
    const r = await runScript(
      env.data,
      env.dir,
      `
var d = ${d};
function must(what, r) { if (!r.Ok()) { Log.Error(what + ": " + r.ErrorMsg()); Exit(1); } return r; }
var z = must("zip", Zip(JoinPath(d, "src"), JoinPath(d, "out.zip")));
Log.Info("zipped " + z.Files());
must("unzip", Unzip(JoinPath(d, "out.zip"), JoinPath(d, "unzipped")));
must("encrypt", PGPEncryptFile(JoinPath(d, "out.zip"), JoinPath(d, "out.zip.pgp"), GetSecret("pub")));
must("decrypt", PGPDecryptFile(JoinPath(d, "out.zip.pgp"), JoinPath(d, "back.zip"), GetSecret("sec"), GetSecret("pass")));
var wrong = PGPDecryptFile(JoinPath(d, "out.zip.pgp"), JoinPath(d, "wrong.zip"), GetSecret("sec"), "nope");
Log.Info("wrong passphrase: " + wrong.Ok() + " / " + wrong.ErrorMsg());
var missing = Unzip(JoinPath(d, "none.zip"), JoinPath(d, "x"));
Log.Info("missing archive: " + missing.Ok() + " / " + missing.ErrorMsg());
`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /zipped 2/);
    assert.equal(await Deno.readTextFile(join(env.dir, "unzipped", "sub", "a.csv")), "a\n");
    assert.deepEqual(
      await Deno.readFile(join(env.dir, "unzipped", "b.bin")),
      await Deno.readFile(join(env.dir, "src", "b.bin")),
    );
    assert.deepEqual(
      await Deno.readFile(join(env.dir, "back.zip")),
      await Deno.readFile(join(env.dir, "out.zip")),
    );
    assert.match(r.stdout, /wrong passphrase: false \/ .*passphrase/i);
    await assert.rejects(Deno.stat(join(env.dir, "wrong.zip")));
    assert.match(r.stdout, /missing archive: false \/ .+/);
    // The private key's passphrase is a secret: never in the log.
    assert.doesNotMatch(r.stdout + r.stderr, /\bpw\b/);
  });
});

Deno.test("SendMail sends text and attachments through the SMTP settings; a refusal is a clear result", async () => {
  const smtp = await startSmtp({
    tls: "none",
    auth: { user: "mailer", pass: "s3cret-pass" },
    reject: "nobody@example.com",
  });
  try {
    await withExampleEnv(async (env) => {
      await env.setting("smtp.host", "127.0.0.1");
      await env.setting("smtp.port", String(smtp.port));
      await env.setting("smtp.tls", "none");
      await env.setting("smtp.user", "mailer");
      await env.secret("smtp-pass", "s3cret-pass");
      await env.setting("smtp.passSecret", "smtp-pass");
      await env.setting("smtp.from", "aft@example.com");
      const att = join(env.dir, "report.csv");
      await Deno.writeTextFile(att, "id,ok\n1,yes\n");
      const r = await runScript(
        env.data,
        env.dir,
        `
var ok = SendMail("", "a@example.com, b@example.com", "Daily report", "See attached.", [${
          JSON.stringify(att)
        }]);
Log.Info("sent: " + ok.Ok() + " " + ok.ErrorMsg());
var refused = SendMail("", "nobody@example.com", "x", "y");
Log.Info("refused: " + refused.Ok() + " / " + refused.ErrorMsg());
`,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /sent: true/);
      assert.match(r.stdout, /refused: false \/ .*nobody@example\.com/);
      assert.equal(smtp.messages.length, 1);
      const m = smtp.messages[0]!;
      assert.equal(m.from, "aft@example.com");
      assert.deepEqual(m.to.sort(), ["a@example.com", "b@example.com"]);
      assert.equal(m.mail.subject, "Daily report");
      assert.equal(m.mail.text?.trim(), "See attached.");
      assert.equal(m.mail.attachments.length, 1);
      assert.equal(m.mail.attachments[0]!.filename, "report.csv");
      assert.equal(m.mail.attachments[0]!.content.toString(), "id,ok\n1,yes\n");
      assert.doesNotMatch(r.stdout + r.stderr, /s3cret-pass/);
    });
  } finally {
    await smtp.close();
  }
});
