import assert from "node:assert/strict";
import { testConsole } from "./_test_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "settings: a Network change that would lock the admin out asks first, but a value refused anyway is said at once, the warning not shown",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      // As the form sends the section: every field.
      const minutes = String((await t.engine.settings.get()).sessionLifetimeMinutes);
      const warned = await t.post("/settings/network", {
        listen: "127.0.0.1:1",
        corsOrigins: "",
        sessionLifetimeMinutes: minutes,
      });
      assert.equal(warned.status, 200);
      assert.match(warned.html, /This change may lock you out/);
      const bad = await t.post("/settings/network", {
        listen: "127.0.0.1:1",
        corsOrigins: "",
        sessionLifetimeMinutes: "soon",
      });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /sessionLifetimeMinutes/);
      assert.doesNotMatch(bad.html, /This change may lock you out/);
      assert.equal((await t.engine.settings.get({ fresh: true })).listen, "127.0.0.1:44399");
    } finally {
      await t.close();
    }
  },
});
