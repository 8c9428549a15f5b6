import assert from "node:assert/strict";
import { parseEvents } from "../client/live.ts";
import { jobEnd, testConsole } from "./_test_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "secrets: set and replaced from the form, the value never in a page, deleted",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      assert.match((await t.get("/secrets")).html, /No secrets/i);
      const set = await t.post("/secrets", { name: "sftp-pass", value: "hunter2-VALUE" });
      assert.equal(set.status, 303, set.html);
      await t.post("/secrets", { name: "sftp-pass", value: "second-VALUE" });
      const page = await t.get("/secrets");
      assert.match(page.html, /sftp-pass/);
      assert.ok(!page.html.includes("VALUE"));
      // The replaced value is the one a script gets.
      await t.engine.scripts.create({
        name: "peek",
        source: 'if (GetSecret("sftp-pass") !== "second-VALUE") Exit(4);',
      });
      const j = await t.engine.jobs.submit({
        target: { scriptName: "peek" },
        trigger: "ui",
        caller: { kind: "local" },
      });
      assert.equal(await jobEnd(t.engine, j.id), "succeeded");
      assert.equal((await t.post("/secrets", { name: "", value: "x" })).status, 400);
      assert.equal((await t.post("/secrets/sftp-pass/delete")).status, 303);
      assert.deepEqual(await t.engine.secrets.list(), []);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "API keys: the key shown once with its aft start and curl lines, listed by prefix, revoked",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      assert.match((await t.get("/apikeys")).html, /No API keys/i);
      const made = await t.post("/apikeys", {
        name: "ci",
        allow: "127.0.0.1, 10.0.0.0/8",
        scope: ["jobs:start", "jobs:read"],
      });
      assert.equal(made.status, 200, made.html);
      const key = made.html.match(/id="new-key"[^>]*value="([^"]+)"/)?.[1] ??
        made.html.match(/value="([^"]+)"[^>]*id="new-key"/)?.[1];
      assert.ok(key, "the key is on the page");
      assert.ok(made.html.includes(`aft start -n`));
      assert.ok(made.html.includes(`X-API-Key: ${key}`));
      const [rec] = await t.engine.apikeys.list();
      assert.deepEqual([...rec!.scopes].sort(), ["jobs:read", "jobs:start"]);
      assert.deepEqual(rec!.allow, ["127.0.0.1", "10.0.0.0/8"]);
      const list = await t.get("/apikeys");
      assert.ok(!list.html.includes(key!), "never shown again");
      assert.ok(list.html.includes(rec!.prefix));
      const none = await t.post("/apikeys", { name: "x", scope: ["root"] });
      assert.equal(none.status, 400);
      const unticked = await t.post("/apikeys", { name: "x", allow: "127.0.0.1" });
      assert.equal(unticked.status, 400);
      assert.match(unticked.html, /needs at least one scope/);
      const nowhere = await t.post("/apikeys", { name: "x", allow: " ", scope: ["jobs:read"] });
      assert.equal(nowhere.status, 400);
      assert.match(nowhere.html, /at least one address/);
      assert.equal((await t.engine.apikeys.list()).length, 1);
      assert.equal((await t.post(`/apikeys/${rec!.id}/revoke`)).status, 303);
      assert.deepEqual(await t.engine.apikeys.list(), []);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "schedules: the expression explained with its next runs, created, disabled, run now",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      assert.match((await t.get("/schedules")).html, /No schedules/i);
      await t.engine.scripts.create({ name: "tick", source: 'Log.Info("tick " + Param("p"));' });
      const preview = await t.request(
        `/schedules/preview?cron=${encodeURIComponent("30 2 * * *")}`,
      );
      const p = await preview.json();
      assert.equal(p.description, "At 02:30, every day");
      assert.equal(p.next.length, 5);
      const wrong = await t.request("/schedules/preview?cron=nonsense");
      assert.equal(wrong.status, 400);
      assert.ok((await wrong.json()).error);
      const form = await t.get("/schedules/new");
      assert.match(form.html, /data-cron-preview/);
      const twice = await t.post("/schedules", {
        name: "nightly",
        script: "tick",
        cron: "30 2 * * *",
        paramKey: ["p", "p"],
        paramValue: ["1", "2"],
      });
      assert.equal(twice.status, 400, twice.html);
      assert.match(twice.html, /The parameter &quot;p&quot; is given twice/);
      assert.match(twice.html, /name="paramValue" value="2"/, "the rows are shown as sent");
      assert.deepEqual(await t.engine.schedules.list(), []);
      const made = await t.post("/schedules", {
        name: "nightly",
        script: "tick",
        cron: "30 2 * * *",
        paramKey: ["p"],
        paramValue: ["1"],
        enabled: "on",
      });
      assert.equal(made.status, 303, made.html);
      const [s] = await t.engine.schedules.list();
      assert.deepEqual(s!.params, { p: "1" });
      assert.ok(s!.enabled);
      assert.match((await t.get("/schedules")).html, /At 02:30, every day/);
      await t.post(`/schedules/${s!.id}/disable`);
      assert.equal((await t.engine.schedules.get(s!.id)).enabled, false);
      const run = await t.post(`/schedules/${s!.id}/run`);
      assert.equal(run.status, 303, run.html);
      const id = run.location!.replace("/jobs/", "");
      assert.equal(await jobEnd(t.engine, id), "succeeded");
      assert.deepEqual((await t.engine.jobs.get(id)).params, { p: "1" });
      const bad = await t.post("/schedules", { name: "x", script: "tick", cron: "61 * * * *" });
      assert.equal(bad.status, 400);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "dashboard: counts, next runs and the service; its stream sends counters and jobs",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      await t.engine.scripts.create({ name: "one", source: 'Log.Info("1");' });
      const j = await t.engine.jobs.submit({
        target: { scriptName: "one" },
        trigger: "ui",
        caller: { kind: "local" },
      });
      await jobEnd(t.engine, j.id);
      const page = await t.get("/");
      assert.equal(page.status, 200);
      assert.match(page.html, /data-live-counters="\/events\/dashboard"/);
      assert.match(page.html, /No job is running or queued/);
      const ctrl = new AbortController();
      const res = await t.request("/events/dashboard", { signal: ctrl.signal });
      const seen: Record<string, unknown> = {};
      for await (const e of parseEvents(res.body!)) {
        seen[e.event] = JSON.parse(e.data);
        if (seen.counters && seen.jobs) break;
      }
      ctrl.abort();
      assert.equal((seen.counters as { succeeded: number }).succeeded, 1);
      assert.deepEqual(seen.jobs, []);
    } finally {
      await t.close();
    }
  },
});

Deno.test("a console page checks its session once, though the app and its pages both guard it", async () => {
  const t = await testConsole();
  try {
    const sessions = t.engine.sessions;
    const check = sessions.check.bind(sessions);
    let calls = 0;
    sessions.check = (token) => {
      calls++;
      return check(token);
    };
    const page = await t.get("/scripts");
    assert.equal(page.status, 200);
    assert.equal(calls, 1);
  } finally {
    await t.close();
  }
});
