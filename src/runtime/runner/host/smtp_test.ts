import assert from "node:assert/strict";
import { join } from "node:path";
import { type SmtpFixture, type SmtpOptions, startSmtp } from "../../../../tests/fixtures/smtp.ts";
import type { SmtpSpec } from "../../protocol/messages.ts";
import { testContext } from "./_test_context.ts";
import { ScriptCallError } from "./context.ts";
import { sendMailCall, splitRecipients } from "./smtp.ts";
import { assertSameBytes } from "../../../../tests/fixtures/same_bytes.ts";

function smtp(port: number, more: Partial<SmtpSpec> = {}): SmtpSpec {
  return {
    host: "127.0.0.1",
    port,
    tls: "none",
    user: "",
    passSecret: "",
    from: "aft@example.com",
    caFile: "",
    ...more,
  };
}

const SECRETS = { "smtp-pass": "s3cret-Value" };

/** A throw-away SMTP server for `fn`, closed after it. */
async function withSmtp(
  opts: SmtpOptions,
  fn: (server: SmtpFixture) => Promise<void>,
): Promise<void> {
  const server = await startSmtp(opts);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** SendMail to `to` fails with `why` (and never the password), and the server got nothing. */
function refused(
  opts: SmtpOptions,
  spec: (server: SmtpFixture) => Partial<SmtpSpec>,
  to: string,
  why: RegExp,
): Promise<void> {
  return withSmtp(opts, async (server) => {
    const ctx = testContext({ smtp: smtp(server.port, spec(server)) }, SECRETS);
    const r = await sendMailCall(ctx, ["", to, "x", "y", []]);
    assert.equal(r.ok, false);
    assert.match(r.error!, why);
    assert.doesNotMatch(r.error!, /s3cret/);
    assert.equal(server.messages.length, 0);
  });
}

Deno.test("splitRecipients() takes commas and semicolons and drops empty entries", () => {
  assert.deepEqual(splitRecipients(" a@x.io, b@y.io;;c@z.io , "), ["a@x.io", "b@y.io", "c@z.io"]);
});

Deno.test("SendMail() delivers to two recipients with a 3 MiB attachment byte for byte", async () => {
  const server = await startSmtp();
  const dir = await Deno.makeTempDir();
  try {
    const data = crypto.getRandomValues(new Uint8Array(65536));
    const big = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i += data.length) big.set(data, i);
    await Deno.writeFile(join(dir, "report.bin"), big);
    const ctx = testContext({ smtp: smtp(server.port) });
    const r = await sendMailCall(ctx, [
      "",
      "ops@example.com, boss@example.com",
      "Nightly batch",
      "All 12 files moved.",
      [join(dir, "report.bin")],
    ]);
    assert.deepEqual(r, { ok: true });
    assert.equal(server.messages.length, 1);
    const m = server.messages[0]!;
    assert.equal(m.from, "aft@example.com");
    assert.deepEqual(m.to, ["ops@example.com", "boss@example.com"]);
    assert.equal(m.mail.subject, "Nightly batch");
    assert.equal(m.mail.text?.trim(), "All 12 files moved.");
    assert.equal(m.mail.attachments.length, 1);
    assert.equal(m.mail.attachments[0]!.filename, "report.bin");
    assertSameBytes(new Uint8Array(m.mail.attachments[0]!.content), big);
    assert.match(ctx.logs.map((l) => l.text).join("\n"), /Mail sent to ops@example.com/);
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SendMail() logs in over STARTTLS with a CA from smtp.caFile and never logs the password", async () => {
  await withSmtp({
    tls: "starttls",
    auth: { user: "mailer", pass: "s3cret-Value" },
  }, async (server) => {
    const ctx = testContext({
      smtp: smtp(server.port, {
        tls: "starttls",
        user: "mailer",
        passSecret: "smtp-pass",
        caFile: server.certFile,
      }),
    }, SECRETS);
    const r = await sendMailCall(ctx, ["me@example.com", "you@example.com", "Hi", "body", []]);
    assert.equal(r.error, undefined);
    assert.equal(server.messages.length, 1);
    assert.equal(server.messages[0]!.secure, true);
    assert.equal(server.messages[0]!.from, "me@example.com");
    assert.doesNotMatch(JSON.stringify(ctx.logs), /s3cret/);
  });
});

Deno.test("SendMail() speaks implicit TLS when smtp.tls is tls", async () => {
  await withSmtp({ tls: "tls" }, async (server) => {
    const ctx = testContext({
      smtp: smtp(server.port, { tls: "tls", caFile: server.certFile }),
    });
    const r = await sendMailCall(ctx, ["", "you@example.com", "TLS", "over TLS", []]);
    assert.equal(r.error, undefined);
    assert.equal(server.messages[0]?.secure, true);
  });
});

Deno.test("SendMail() sends an HTML body as HTML with a text alternative", async () => {
  await withSmtp({}, async (server) => {
    const ctx = testContext({ smtp: smtp(server.port) });
    const r = await sendMailCall(ctx, [
      "",
      "you@example.com",
      "Report",
      "<p>Files: <b>3</b></p><p>Bytes &amp; more</p>",
      [],
    ]);
    assert.equal(r.ok, true);
    const m = server.messages[0]!.mail;
    assert.match(String(m.html), /<b>3<\/b>/);
    assert.match(m.text ?? "", /Files: 3\s+Bytes & more/);
  });
});

Deno.test("SendMail() fails with one clear sentence and sends nothing when refused", async (t) => {
  await t.step("an untrusted certificate", () =>
    refused(
      { tls: "starttls" },
      () => ({ tls: "starttls" }),
      "you@example.com",
      /certificate is not trusted/,
    ));
  await t.step("a wrong password", () =>
    refused(
      { tls: "starttls", auth: { user: "mailer", pass: "right" } },
      (server) => ({
        tls: "starttls",
        user: "mailer",
        passSecret: "smtp-pass",
        caFile: server.certFile,
      }),
      "you@example.com",
      /refused the login for user "mailer"/,
    ));
  await t.step("a recipient the server refuses", () =>
    refused(
      { reject: "nobody@example.com" },
      () => ({}),
      "nobody@example.com",
      /refused recipient "nobody@example\.com"/,
    ));
  await t.step(
    "STARTTLS required but not offered: nothing goes out in clear",
    () => refused({ tls: "hidden" }, () => ({ tls: "starttls" }), "you@example.com", /STARTTLS/),
  );
  await t.step("nothing listening", async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const r = await sendMailCall(testContext({ smtp: smtp(port) }), ["", "a@b.io", "x", "y", []]);
    assert.equal(r.ok, false);
    assert.match(r.error!, new RegExp(`Cannot connect to the SMTP server 127\\.0\\.0\\.1:${port}`));
  });
  await t.step("no SMTP server configured", async () => {
    const r = await sendMailCall(testContext({ smtp: smtp(25, { host: "" }) }), [
      "",
      "a@b.io",
      "x",
      "y",
      [],
    ]);
    assert.match(r.error!, /set smtp\.host/);
  });
});

Deno.test("SendMail() attachments: outside localRoots throws, a missing one sends nothing", async () => {
  const server = await startSmtp();
  const root = await Deno.makeTempDir();
  try {
    const ctx = testContext({ smtp: smtp(server.port), limits: { localRoots: [root] } });
    await assert.rejects(
      () => sendMailCall(ctx, ["", "a@b.io", "x", "y", ["/etc/passwd"]]),
      ScriptCallError,
    );
    const r = await sendMailCall(ctx, ["", "a@b.io", "x", "y", [join(root, "missing.csv")]]);
    assert.match(r.error!, /Attachment ".*missing\.csv" does not exist/);
    assert.equal(server.messages.length, 0);
  } finally {
    await server.close();
    await Deno.remove(root, { recursive: true });
  }
});
