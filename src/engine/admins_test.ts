import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { totpCode, totpStep } from "./totp.ts";

const PW = "j8Fh3kLq9zXw-admin";

Deno.test("admins: created with a policy-checked password, listed without hash or secret", async () => {
  await withEngine(async (engine, dataDir) => {
    const msg = await rejectsWith(
      engine.admins.create({ username: "ada", password: "password1234" }),
      "WEAK_PASSWORD",
    );
    assert.match(msg, /the most common passwords/);
    await rejectsWith(
      engine.admins.create({ username: "ada", password: "short" }),
      "WEAK_PASSWORD",
    );
    await rejectsWith(engine.admins.create({ username: "a\u001bb", password: PW }), "INVALID_NAME");
    const ada = await engine.admins.create({ username: "ada", password: PW });
    assert.equal(ada.username, "ada");
    assert.equal(ada.totp, false);
    await rejectsWith(engine.admins.create({ username: "ADA", password: PW }), "ALREADY_EXISTS");
    const list = await engine.admins.list();
    assert.deepEqual(list.map((a) => a.username), ["ada"]);
    assert.ok(!JSON.stringify(list).includes("scrypt"));
    // Neither the password nor its hash in clear anywhere in the data directory's files.
    const db = await Deno.readFile(`${dataDir}/aft.db`);
    assert.ok(!new TextDecoder().decode(db).includes(PW));
  });
});

Deno.test("admins: the last one cannot be removed; removing one ends their sessions", async () => {
  await withEngine(async (engine) => {
    const ada = await engine.admins.create({ username: "ada", password: PW });
    await rejectsWith(engine.admins.remove(ada.id), "LAST_ADMIN");
    const bob = await engine.admins.create({ username: "bob", password: PW + "b" });
    const s = await engine.sessions.signIn({ username: "bob", password: PW + "b", ip: "::1" });
    assert.equal(s.status, "signed-in");
    const token = s.status === "signed-in" ? s.token : "";
    assert.ok(await engine.sessions.check(token));
    await engine.admins.remove(bob.id);
    assert.equal(await engine.sessions.check(token), undefined);
    await rejectsWith(engine.admins.remove(bob.id), "ADMIN_NOT_FOUND");
  });
});

Deno.test("admins: a password change needs the current one and ends the other sessions", async () => {
  await withEngine(async (engine) => {
    const ada = await engine.admins.create({ username: "ada", password: PW });
    const open = async () => {
      const r = await engine.sessions.signIn({ username: "ada", password: PW, ip: "127.0.0.1" });
      assert.equal(r.status, "signed-in");
      return r as Extract<typeof r, { status: "signed-in" }>;
    };
    const here = await open();
    const other = await open();
    await rejectsWith(
      engine.admins.changePassword(ada.id, { current: "wrong one", next: PW + "2" }),
      "PASSWORD_WRONG",
    );
    await rejectsWith(
      engine.admins.changePassword(ada.id, { current: PW, next: "ada" }),
      "WEAK_PASSWORD",
    );
    const r = await engine.admins.changePassword(ada.id, {
      current: PW,
      next: PW + "2",
      keepSession: here.session.id,
    });
    assert.equal(r.endedSessions, 1);
    assert.ok(await engine.sessions.check(here.token));
    assert.equal(await engine.sessions.check(other.token), undefined);
    await rejectsWith(
      engine.sessions.signIn({ username: "ada", password: PW, ip: "127.0.0.1" }),
      "SIGNIN_FAILED",
    );
  });
});

Deno.test("admins: TOTP enrolment is confirmed with a code, stored encrypted, and disabled with the password", async () => {
  await withEngine(async (engine, dataDir) => {
    const ada = await engine.admins.create({ username: "ada", password: PW });
    await rejectsWith(engine.admins.totpConfirm(ada.id, "123456"), "TOTP_NOT_PENDING");
    const { secret, uri } = await engine.admins.totpBegin(ada.id);
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.ok(uri.startsWith("otpauth://totp/aft:ada?secret=" + secret));
    const wrong = (Number(await totpCode(secret, totpStep(Date.now()))) + 1) % 1_000_000;
    await rejectsWith(
      engine.admins.totpConfirm(ada.id, String(wrong).padStart(6, "0")),
      "TOTP_INVALID",
    );
    assert.equal((await engine.admins.get(ada.id)).totp, false);
    await engine.admins.totpConfirm(ada.id, await totpCode(secret, totpStep(Date.now())));
    assert.equal((await engine.admins.get(ada.id)).totp, true);
    const db = new TextDecoder().decode(await Deno.readFile(`${dataDir}/aft.db`));
    assert.ok(!db.includes(secret), "the secret is encrypted at rest");
    await rejectsWith(engine.admins.totpDisable(ada.id, "not it"), "PASSWORD_WRONG");
    await engine.admins.totpDisable(ada.id, PW);
    assert.equal((await engine.admins.get(ada.id)).totp, false);
  });
});
