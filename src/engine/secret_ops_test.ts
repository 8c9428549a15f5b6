import assert from "node:assert/strict";
import { rejectsWith, withEngine } from "./_test_engine.ts";
import { MAX_SECRET_BYTES } from "./secret_ops.ts";

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
    // Up to 1 MiB (a certificate bundle fits many times over); more is refused, saying so.
    const full = "k".repeat(MAX_SECRET_BYTES);
    assert.equal((await engine.secrets.set("bundle", full)).created, true);
    await assert.rejects(
      engine.secrets.set("huge", full + "é"),
      (e) =>
        (e as { code?: string }).code === "INVALID_REQUEST" &&
        (e as Error).message ===
          "A secret's value can be at most 1 MiB (1,048,576 bytes); this one has 1,048,578",
    );
    await engine.secrets.remove("bundle");
    await rejectsWith(engine.secrets.set("bad\u202ename", "v"), "INVALID_NAME");
    await engine.secrets.remove("tok");
    await rejectsWith(engine.secrets.remove("tok"), "SECRET_NOT_FOUND");
    assert.deepEqual((await engine.secrets.list()).map((s) => s.name), ["TOK"]);
  });
});
