import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";

Deno.test("settings: values are checked, stored and read back at once", async () => {
  await withEngine(async (engine) => {
    assert.deepEqual((await engine.settings.get()).scriptRoots, []);
    assert.equal(await engine.settings.set("allowCliRun", "true"), true);
    assert.equal((await engine.settings.get()).allowCliRun, true);
    assert.deepEqual(await engine.settings.set("scriptRoots", '["/opt/scripts"]'), [
      "/opt/scripts",
    ]);
    await rejectsWith(engine.settings.set("scriptRoots", '["relative/dir"]'), "INVALID_REQUEST");
    // localRoots likewise (a relative root was taken from each runner's working folder), and
    // neither takes a control character.
    await rejectsWith(engine.settings.set("localRoots", '["relative/dir"]'), "INVALID_REQUEST");
    const bell = await rejectsWith(
      engine.settings.set("scriptRoots", '["/opt/a\\u0007b"]'),
      "INVALID_REQUEST",
    );
    assert.match(bell, /not "\/opt\/a\\u0007b"/);
    await rejectsWith(engine.settings.set("localRoots", ["/srv/\u202eevil"]), "INVALID_REQUEST");
    assert.deepEqual(await engine.settings.set("localRoots", ["/srv/in"]), ["/srv/in"]);
    // Stored resolved, once each: "/srv/in/../.." is the whole disk, and now says so.
    if (Deno.build.os !== "windows") {
      assert.deepEqual(
        await engine.settings.set("localRoots", '["/srv/in/../..", "/srv/./in/", "/srv/in"]'),
        ["/", "/srv/in"],
      );
      assert.deepEqual(await engine.settings.set("scriptRoots", "/opt/s//x/.."), ["/opt/s"]);
    }
    await rejectsWith(engine.settings.set("maxConcurrentJobs", "many"), "INVALID_REQUEST");
    await rejectsWith(engine.settings.set("nope", 1), "INVALID_REQUEST");
    // One bad change in an update stores none of them.
    await rejectsWith(
      engine.settings.update({ maxConcurrentJobs: 2, jobMemoryMiB: 1 }),
      "INVALID_REQUEST",
    );
    assert.equal((await engine.settings.get({ fresh: true })).maxConcurrentJobs, 4);
    assert.equal((await engine.settings.update({ maxConcurrentJobs: 2 })).maxConcurrentJobs, 2);
    await engine.settings.set("listen", "0.0.0.0:1");
    assert.deepEqual(await engine.settings.resetNetwork(), [
      "listen",
      "corsOrigins",
      "sessionLifetimeMinutes",
    ]);
    assert.equal((await engine.settings.get()).listen, "127.0.0.1:44399");
  });
});

Deno.test("settings.testMail() sends through the SMTP settings, as SendMail does", async () => {
  const { startSmtp } = await import("../../tests/fixtures/smtp.ts");
  const smtp = await startSmtp({ tls: "starttls", auth: { user: "mailer", pass: "m41l-pass" } });
  try {
    await withEngine(async (engine) => {
      await rejectsWith(engine.settings.testMail("ops@example.com"), "INVALID_REQUEST");
      await engine.settings.update({
        "smtp.host": "127.0.0.1",
        "smtp.port": smtp.port,
        "smtp.tls": "starttls",
        "smtp.user": "mailer",
        "smtp.passSecret": "smtp-pass",
        "smtp.from": "aft@example.com",
        "smtp.caFile": smtp.certFile,
      });
      await rejectsWith(engine.settings.testMail("ops@example.com"), "SECRET_NOT_FOUND");
      await engine.secrets.set("smtp-pass", "wrong");
      const refused = await rejectsWith(engine.settings.testMail("ops@example.com"), "MAIL_FAILED");
      assert.match(refused, /refused the login for user "mailer"/);
      await engine.secrets.set("smtp-pass", "m41l-pass");
      await rejectsWith(engine.settings.testMail(" ; "), "INVALID_REQUEST");
      const sent = await engine.settings.testMail("ops@example.com, dev@example.com");
      assert.deepEqual(sent.to, ["ops@example.com", "dev@example.com"]);
      assert.equal(smtp.messages.length, 1);
      const m = smtp.messages[0]!;
      assert.equal(m.secure, true);
      assert.deepEqual(m.to, ["ops@example.com", "dev@example.com"]);
      assert.equal(m.mail.subject, "aft test mail");
      assert.match(m.mail.text ?? "", /test mail from aft/);
      const entry = (await engine.audit.list({ action: "settings.testmail" })).entries[0];
      assert.equal(entry?.target, "ops@example.com, dev@example.com");
      // Without the CA file, the server's self-signed certificate is not trusted.
      await engine.settings.set("smtp.caFile", "");
      const untrusted = await rejectsWith(
        engine.settings.testMail("ops@example.com"),
        "MAIL_FAILED",
      );
      assert.match(untrusted, /certificate is not trusted/);
    });
  } finally {
    await smtp.close();
  }
});
