import assert from "node:assert/strict";
import { parseEvents } from "../client/live.ts";
import { jobEnd, type TestConsole, testConsole } from "./_test_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A job that runs until it is halted, once it has logged its first line. */
async function slowJob(t: TestConsole) {
  await t.engine.scripts.create({
    name: "slow",
    source: 'Log.Info("started");\nfor (;;) if (Sleep(50) === false) break;',
  });
  const j = await t.engine.jobs.submit({
    target: { scriptName: "slow" },
    trigger: "ui",
    caller: { kind: "local" },
  });
  for await (const e of t.engine.jobs.follow(j.id)) if (e.type === "line") break;
  return j;
}

Deno.test({
  name: "jobs: history filtered by status and trigger; the job page, its log as text, Run again",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      assert.match((await t.get("/jobs")).html, /No jobs yet|nothing has run|No job/i);
      await t.engine.scripts.create({
        name: "echo",
        source: 'Log.Info("<script>alert(1)</script> " + Param("k"));\nif (Param("fail")) Exit(3);',
      });
      const ok = await t.engine.jobs.submit({
        target: { scriptName: "echo" },
        params: { k: "v\u001b[2K\ny" },
        trigger: "ui",
        caller: { kind: "local" },
      });
      const bad = await t.engine.jobs.submit({
        target: { scriptName: "echo" },
        params: { fail: "1" },
        trigger: "api",
        caller: { kind: "local" },
      });
      assert.equal(await jobEnd(t.engine, ok.id), "succeeded");
      assert.equal(await jobEnd(t.engine, bad.id), "failed");

      const failed = await t.get("/jobs?status=failed");
      assert.ok(failed.html.includes(`/jobs/${bad.id}`));
      assert.ok(!failed.html.includes(`/jobs/${ok.id}"`));
      const ui = await t.get("/jobs?trigger=ui");
      assert.ok(ui.html.includes(`/jobs/${ok.id}`));
      assert.ok(!ui.html.includes(`/jobs/${bad.id}"`));
      assert.equal((await t.get("/jobs?fromLocal=2020-01-01T00:00&from=soon")).status, 400);

      const page = await t.get(`/jobs/${ok.id}`);
      assert.equal(page.status, 200);
      assert.match(page.html, /data-live-log="\/jobs\/[^"]+\/events"/);
      assert.match(page.html, /Run again/);
      assert.ok(!page.html.includes("Halt"), "no Halt for a finished job");

      const text = await t.request(`/jobs/${ok.id}/log.txt`);
      assert.match(text.headers.get("Content-Disposition")!, /^attachment; filename="job-/);
      // Control characters escaped, a further line indented (no raw escape, no forged line).
      assert.match(
        await text.text(),
        /INFO {2}<script>alert\(1\)<\/script> v\\u001b\[2K\n {31}y\n/,
      );

      const again = await t.post(`/jobs/${ok.id}/rerun`);
      assert.equal(again.status, 303);
      const rerun = await t.engine.jobs.get(again.location!.replace("/jobs/", ""));
      assert.deepEqual(rerun.params, { k: "v\u001b[2K\ny" });
      assert.notEqual(rerun.id, ok.id);
      await jobEnd(t.engine, rerun.id);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "jobs: the live log stream sends lines as JSON with ids and resumes after Last-Event-ID",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      await t.engine.scripts.create({
        name: "five",
        source: 'for (var i = 1; i <= 5; i++) Log.Info("line " + i);',
      });
      const j = await t.engine.jobs.submit({
        target: { scriptName: "five" },
        trigger: "ui",
        caller: { kind: "local" },
      });
      await jobEnd(t.engine, j.id);
      const res = await t.request(`/jobs/${j.id}/events`, { headers: { "Last-Event-ID": "3" } });
      assert.equal(res.headers.get("Content-Type"), "text/event-stream");
      const events = [];
      for await (const e of parseEvents(res.body!)) events.push(e);
      const lines = events.filter((e) => e.event === "log").map((e) => JSON.parse(e.data).text);
      assert.deepEqual(lines, ["line 4", "line 5"]);
      assert.equal(events.at(-1)!.event, "end");
      assert.equal(JSON.parse(events.at(-1)!.data).status, "succeeded");
      assert.equal((await t.request("/jobs/nope/events")).status, 404);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "jobs: live streams (a job's log, the dashboard) end with a 'closed' event after sign-out, and reopening them is a 401 that says why",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const j = await slowJob(t);
      const accept = { Accept: "text/event-stream" };
      const streams = [`/jobs/${j.id}/events`, "/events/dashboard"].map(async (path) => {
        const res = await t.request(path, { headers: accept });
        assert.equal(res.status, 200);
        const events = [];
        for await (const e of parseEvents(res.body!)) events.push(e);
        return events;
      });
      await new Promise((r) => setTimeout(r, 300));
      const out = await t.post("/signout");
      assert.equal(out.status, 303);
      const started = Date.now();
      for (const events of await Promise.all(streams)) {
        assert.equal(events.at(-1)!.event, "closed");
        assert.equal(
          JSON.parse(events.at(-1)!.data).message,
          "The session has ended: sign in again",
        );
      }
      // Within one look (5 s) and well before the job (which runs on) ends.
      assert.ok(Date.now() - started < 7_000, `${Date.now() - started} ms`);
      assert.equal((await t.engine.jobs.get(j.id)).status, "running");
      const again = await t.request(`/jobs/${j.id}/events`, { headers: accept });
      assert.equal(again.status, 401);
      assert.equal((await again.json()).error.message, "The session has ended: sign in again");
      await t.engine.jobs.halt(j.id);
      await jobEnd(t.engine, j.id);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "jobs: Halt ends a running job halted and is refused for one that has ended",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const j = await slowJob(t);
      const page = await t.get(`/jobs/${j.id}`);
      assert.match(page.html, /data-job-live/);
      const halt = await t.post(`/jobs/${j.id}/halt`);
      assert.equal(halt.status, 303, halt.html);
      assert.equal(await jobEnd(t.engine, j.id), "halted");
      const again = await t.post(`/jobs/${j.id}/halt`);
      assert.equal(again.status, 409, again.html);
    } finally {
      await t.close();
    }
  },
});
