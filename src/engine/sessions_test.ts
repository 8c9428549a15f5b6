import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { totpCode, totpStep } from "./totp.ts";
import { signInThrottle } from "./sessions.ts";

const PW = "j8Fh3kLq9zXw-admin";

Deno.test("sign-in: the right password opens a session; wrong ones and unknown names the same error", async () => {
  await withEngine(async (engine) => {
    await engine.admins.create({ username: "Ada", password: PW });
    const ok = await engine.sessions.signIn({ username: " ada ", password: PW, ip: "10.1.1.1" });
    assert.equal(ok.status, "signed-in");
    if (ok.status !== "signed-in") return;
    assert.match(ok.token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(ok.admin.username, "Ada");
    assert.ok(ok.admin.lastSignInAt);
    const checked = await engine.sessions.check(ok.token);
    assert.equal(checked?.admin.username, "Ada");
    assert.equal(checked?.session.ip, "10.1.1.1");
    const a = await rejectsWith(
      engine.sessions.signIn({ username: "ada", password: "nope", ip: "10.1.1.1" }),
      "SIGNIN_FAILED",
    );
    const b = await rejectsWith(
      engine.sessions.signIn({ username: "nobody", password: PW, ip: "10.1.1.1" }),
      "SIGNIN_FAILED",
    );
    assert.equal(a, b);
    assert.equal(await engine.sessions.check("x".repeat(43)), undefined);
    await engine.sessions.signOut(ok.token, "10.1.1.1");
    assert.equal(await engine.sessions.check(ok.token), undefined);
    const log = (await engine.audit.list({ action: "signin" })).entries;
    assert.deepEqual(log.map((e) => [e.actorName, e.outcome, e.detail?.result]), [
      ["(unknown user)", "failed", "unknown user"],
      ["Ada", "failed", "wrong password"],
      ["Ada", "ok", "signed in"],
    ]);
    assert.equal((await engine.audit.list({ action: "signout" })).entries[0]?.ip, "10.1.1.1");
  });
});

Deno.test("sign-in throttling: failures block that account from that address only", async () => {
  await withEngine(async (engine) => {
    await engine.admins.create({ username: "ada", password: PW });
    await engine.admins.create({ username: "bob", password: PW + "b" });
    const ip = "192.0.2.9";
    for (let i = 0; i < 5; i++) {
      await rejectsWith(
        engine.sessions.signIn({ username: "ada", password: `guess ${i}`, ip }),
        "SIGNIN_FAILED",
      );
    }
    // Even the right password is not looked at now: the pair is throttled.
    const err = await engine.sessions.signIn({ username: "ada", password: PW, ip }).catch((e) => e);
    assert.equal(err.code, "TOO_MANY_FAILURES");
    assert.ok(err.retryAfter > 0 && err.retryAfter <= 900, String(err.retryAfter));
    assert.match(err.message, /try again in \d+ (s|min)/);
    // Another admin from the same address, and the same admin from another address, go on.
    assert.equal(
      (await engine.sessions.signIn({ username: "bob", password: PW + "b", ip }))
        .status,
      "signed-in",
    );
    assert.equal(
      (await engine.sessions.signIn({ username: "ada", password: PW, ip: "192.0.2.10" })).status,
      "signed-in",
    );
    const throttled = (await engine.audit.list({ actor: "ada" })).entries.find((e) =>
      e.detail?.result === "throttled"
    );
    assert.equal(throttled?.outcome, "failed");
  });
});

Deno.test("sign-in with two-factor: a ticket, then a code; a wrong or reused code is refused", async () => {
  await withEngine(async (engine) => {
    const ada = await engine.admins.create({ username: "ada", password: PW });
    const { secret } = await engine.admins.totpBegin(ada.id);
    const now = totpStep(Date.now());
    await engine.admins.totpConfirm(ada.id, await totpCode(secret, now));
    const first = await engine.sessions.signIn({ username: "ada", password: PW, ip: "::1" });
    assert.equal(first.status, "totp");
    if (first.status !== "totp") return;
    // The ticket opens nothing by itself.
    assert.equal(await engine.sessions.check(first.ticket), undefined);
    // The code used for enrolment is spent, and so is a wrong one.
    await rejectsWith(
      engine.sessions.signInTotp({
        ticket: first.ticket,
        code: await totpCode(secret, now),
        ip: "::1",
      }),
      "TOTP_INVALID",
    );
    await rejectsWith(
      engine.sessions.signInTotp({ ticket: first.ticket, code: "000000x", ip: "::1" }),
      "TOTP_INVALID",
    );
    const next = await totpCode(secret, now + 1);
    const s = await engine.sessions.signInTotp({ ticket: first.ticket, code: next, ip: "::1" });
    assert.ok(await engine.sessions.check(s.token));
    // The ticket is spent.
    await rejectsWith(
      engine.sessions.signInTotp({ ticket: first.ticket, code: next, ip: "::1" }),
      "SIGNIN_FAILED",
    );
    const results = (await engine.audit.list({ actor: "ada", action: "signin" })).entries.map((
      e,
    ) => e.detail?.result);
    assert.deepEqual(results, ["signed in", "wrong two-factor code", "wrong two-factor code"]);
  });
});

Deno.test("sessions last sessionLifetimeMinutes as it is now: shortening it ends old sessions", async () => {
  await withEngine(async (engine, dataDir) => {
    await engine.admins.create({ username: "ada", password: PW });
    const r = await engine.sessions.signIn({ username: "ada", password: PW, ip: "::1" });
    if (r.status !== "signed-in") throw new Error("not signed in");
    const minutes = (Date.parse(r.session.expiresAt) - Date.parse(r.session.createdAt)) / 60_000;
    assert.equal(minutes, 480);
    // The session was made two hours ago (as if): a lifetime of one hour has ended it.
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${dataDir}/aft.db`);
    db.prepare("UPDATE sessions SET created_at = ? WHERE id = ?").run(
      new Date(Date.now() - 7200_000).toISOString(),
      r.session.id,
    );
    db.close();
    assert.ok(await engine.sessions.check(r.token));
    await engine.settings.set("sessionLifetimeMinutes", 60);
    assert.equal(await engine.sessions.check(r.token), undefined);
  });
});

Deno.test("sign-in: a user name in NFC or NFD is one account, for sign-in and for its failure limits", async () => {
  await withEngine(async (engine) => {
    await engine.admins.create({ username: "Jose\u0301", password: PW });
    const ok = await engine.sessions.signIn({
      username: "jos\u00e9",
      password: PW,
      ip: "10.1.1.1",
    });
    assert.equal(ok.status, "signed-in");
    await rejectsWith(
      engine.admins.create({ username: "JOS\u00c9", password: PW }),
      "ALREADY_EXISTS",
    );
    const nfc = signInThrottle(engine.failures, "jos\u00e9", "10.1.1.1").limits;
    const nfd = signInThrottle(engine.failures, "Jose\u0301", "10.1.1.1").limits;
    assert.deepEqual(nfc.map((l) => l.key), nfd.map((l) => l.key));
  });
});
