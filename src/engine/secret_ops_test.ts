import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";

Deno.test("secrets: write-only, case-sensitive names, never an empty value", async () => {
  await withEngine(async (engine) => {
    const first = await engine.secrets.set("tok", "s3cr3t-value");
    assert.equal(first.created, true);
    assert.equal("valueEnc" in first.secret, false);
    assert.equal((await engine.secrets.set("tok", "other")).created, false);
    assert.equal((await engine.secrets.set("TOK", "third")).created, true);
    const listed = JSON.stringify(await engine.secrets.list());
    assert.doesNotMatch(listed, /s3cr3t|other|third|valueEnc/);
    await rejectsWith(engine.secrets.set("empty", ""), "INVALID_REQUEST");
    await rejectsWith(engine.secrets.set("bad\u202ename", "v"), "INVALID_NAME");
    await engine.secrets.remove("tok");
    await rejectsWith(engine.secrets.remove("tok"), "SECRET_NOT_FOUND");
    assert.deepEqual((await engine.secrets.list()).map((s) => s.name), ["TOK"]);
  });
});
