import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { heartbeatText } from "../pages/dashboard_nodes.tsx";
import { testConsole } from "./_test_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The Nodes card's row of node `id` (its `data-node` is the name, attribute-escaped). */
function row(html: string, escapedId: string): string {
  const m = html.match(new RegExp(`<tr data-node="${escapedId}"[\\s\\S]*?</tr>`));
  assert.ok(m, `a row for node ${escapedId}`);
  return m[0];
}

Deno.test({
  name:
    "dashboard: the Nodes card lists the one node of a SQLite store, then others as ok, draining and lost, names as text",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const self = t.engine.node;
      const [listed] = await t.engine.nodes.list();
      assert.equal(listed?.id, self, "the service registered its node");
      let html = (await t.get("/")).html;
      assert.match(html, /<h2[^>]*>Nodes<\/h2>/);
      const mine = row(html, self);
      assert.match(mine, /\(this node\)/);
      assert.match(mine, /data-state="ok"/);
      assert.match(mine, new RegExp(`<td>${listed.version.replaceAll(".", "\\.")}</td>`));
      assert.match(mine, /just now|\d+ s ago/);
      assert.match(mine, /<td class="num">0<\/td>/);

      // Rows another process wrote: a hostile name, one draining, one silent past the lease.
      const db = new DatabaseSync(join(t.engine.dataDir, "aft.db"));
      try {
        const add = db.prepare(
          "INSERT INTO nodes (id, address, version, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
        );
        const now = new Date().toISOString();
        const old = new Date(Date.now() - 3_600_000).toISOString();
        add.run("<script>alert(1)</script>", "10.0.0.2:44399", "9.9.9", now, now);
        add.run("n2", null, "1.0.0", old, old);
      } finally {
        db.close();
      }
      await t.engine.nodes.drain("<script>alert(1)</script>");
      html = (await t.get("/")).html;
      assert.ok(!html.includes("<script>alert(1)"), "a node's name is never markup");
      const hostile = row(html, "&lt;script&gt;alert\\(1\\)&lt;/script&gt;");
      assert.match(hostile, /<td>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/td>/);
      assert.match(hostile, /data-state="draining"/);
      assert.match(hostile, /10\.0\.0\.2:44399/);
      const lost = row(html, "n2");
      assert.match(lost, /data-state="lost"/);
      assert.match(lost, /1 h( \d+ min)? ago/);
      assert.match(html, /3 nodes share this store/);
      // The same nodes as GET /v1/adm/nodes lists (engine.nodes.list()).
      // The engine gives each node the state the page shows (and `aft nodes`, the REST API).
      assert.deepEqual(
        Object.fromEntries((await t.engine.nodes.list()).map((n) => [n.id, n.state])),
        { "<script>alert(1)</script>": "draining", n2: "lost", [self]: "ok" },
      );
    } finally {
      await t.close();
    }
  },
});

Deno.test("heartbeatText: just now, then seconds and minutes ago", () => {
  assert.equal(heartbeatText(0.4), "just now");
  assert.equal(heartbeatText(12.6), "12 s ago");
  assert.equal(heartbeatText(185), "3 min 5 s ago");
});
