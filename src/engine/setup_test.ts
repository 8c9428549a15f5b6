import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { newSetupCode } from "./setup.ts";

const PW = "j8Fh3kLq9zXw-admin";

Deno.test("setup codes: 16 unambiguous characters in groups of four", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const c = newSetupCode();
    assert.match(c, /^[A-HJKMNP-TV-Z2-9]{4}(-[A-HJKMNP-TV-Z2-9]{4}){3}$/);
    seen.add(c);
  }
  assert.equal(seen.size, 200);
});

Deno.test("setup: from loopback without a code; then closed, and the code spent", async () => {
  await withEngine(async (engine) => {
    assert.equal(await engine.setup.needed(), true);
    const code = await engine.setup.issueCode();
    assert.ok(code);
    assert.equal(await engine.setup.hasCode(), true);
    await rejectsWith(
      engine.setup.complete({ username: "ada", password: "ada", ip: "127.0.0.1" }),
      "WEAK_PASSWORD",
    );
    const s = await engine.setup.complete({ username: "ada", password: PW, ip: "::1" });
    assert.equal(s.admin.username, "ada");
    assert.ok(await engine.sessions.check(s.token));
    assert.equal(await engine.setup.needed(), false);
    assert.equal(await engine.setup.hasCode(), false);
    assert.equal(await engine.setup.issueCode(), undefined);
    await rejectsWith(
      engine.setup.complete({ username: "eve", password: PW, ip: "127.0.0.1" }),
      "SETUP_DONE",
    );
    const e = (await engine.audit.list({ action: "setup" })).entries[0]!;
    assert.deepEqual([e.actorName, e.ip, e.outcome], ["ada", "::1", "ok"]);
  });
});

Deno.test("setup from another address needs the printed code, wrong codes are throttled", async () => {
  await withEngine(async (engine) => {
    const ip = "192.0.2.44";
    await rejectsWith(
      engine.setup.complete({ username: "ada", password: PW, ip }),
      "SETUP_LOOPBACK_ONLY",
    );
    const code = (await engine.setup.issueCode())!;
    for (let i = 0; i < 10; i++) {
      await rejectsWith(
        engine.setup.complete({ username: "ada", password: PW, ip, code: newSetupCode() }),
        "SETUP_CODE_INVALID",
      );
    }
    await rejectsWith(
      engine.setup.complete({ username: "ada", password: PW, ip, code }),
      "TOO_MANY_FAILURES",
    );
    // Another address with the right code (typed in lower case, with spaces) gets in.
    const s = await engine.setup.complete({
      username: "ada",
      password: PW,
      ip: "192.0.2.45",
      code: ` ${code.toLowerCase().replaceAll("-", " ")} `,
    });
    assert.equal(s.admin.username, "ada");
    assert.equal(await engine.setup.needed(), false);
  });
});

Deno.test("aft reinit's engine.reinit() removes admins and sessions, and the wizard opens again", async () => {
  await withEngine(async (engine) => {
    const s = await engine.setup.complete({ username: "ada", password: PW, ip: "127.0.0.1" });
    await engine.settings.set("sessionLifetimeMinutes", 30);
    const r = await engine.reinit();
    assert.equal(r.admins, 1);
    assert.ok(r.settings.includes("sessionLifetimeMinutes"));
    assert.equal(await engine.sessions.check(s.token), undefined);
    assert.equal(await engine.setup.needed(), true);
    const e = (await engine.audit.list({ action: "reinit" })).entries[0]!;
    assert.equal(e.actorKind, "cli");
  });
});
