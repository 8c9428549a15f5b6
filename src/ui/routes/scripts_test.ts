import assert from "node:assert/strict";
import { jobEnd, testConsole } from "./_test_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "scripts: created from the form, found by search, a name with <script> shown as text",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const empty = await t.get("/scripts");
      assert.match(empty.html, /No scripts yet/);
      const made = await t.post("/scripts", {
        name: '<script>alert("x")</script>',
        source: 'Log.Info("hi");',
      });
      assert.equal(made.status, 303, made.html);
      assert.match(made.location!, /^\/scripts\/[^/]+\?created$/);
      await t.post("/scripts", { name: "Nightly backup", source: 'Log.Info("n");' });
      const list = await t.get("/scripts");
      assert.ok(!list.html.includes("<script>alert"), "the name is escaped");
      assert.ok(list.html.includes("&lt;script&gt;alert"), list.html);
      const found = await t.get("/scripts?q=nightly");
      assert.match(found.html, /Nightly backup/);
      assert.ok(!found.html.includes("&lt;script&gt;alert"));
      // Recorded with who made it and from where.
      const { entries } = await t.engine.audit.list({ action: "script.create" });
      assert.deepEqual(
        entries.map((e) => [e.actorKind, e.actorName, e.ip, e.target]).sort(),
        [
          ["admin", "admin", "127.0.0.1", "Nightly backup"],
          ["admin", "admin", "127.0.0.1", '<script>alert("x")</script>'],
        ].sort(),
      );
      const page = await t.get(made.location!);
      assert.equal(page.status, 200);
      assert.match(page.html, /The script was created/);
      assert.ok(!page.html.includes("<script>alert"));
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "scripts: a refused save keeps what was typed; without the CSRF token nothing changes (403)",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const bad = await t.post("/scripts", { name: "", source: "Log.Info(1);" });
      assert.equal(bad.status, 400);
      assert.match(bad.html, /Log\.Info\(1\);/);
      const forged = await t.post("/scripts", { name: "forged", source: "" }, { csrf: false });
      assert.equal(forged.status, 403);
      assert.deepEqual(await t.engine.scripts.list(), []);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name: "scripts: Run now with parameter rows opens the new job, which gets them; clone; delete",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const s = await t.engine.scripts.create({
        name: "greet",
        source: 'Log.Info("Hello, " + Param("who") + Param("n"));',
      });
      const run = await t.post(`/scripts/${s.id}/run`, {
        paramKey: ["who", "", "n"],
        paramValue: ["world", "", "1"],
      });
      assert.equal(run.status, 303, run.html);
      const id = run.location!.replace(/^\/jobs\//, "");
      const job = await t.engine.jobs.get(id);
      assert.deepEqual(job.params, { who: "world", n: "1" });
      assert.equal(job.trigger, "ui");
      assert.equal(await jobEnd(t.engine, id), "succeeded");
      const { lines } = await t.engine.jobs.log(id);
      assert.ok(lines.some((l) => l.text === "Hello, world1"));

      const clone = await t.post(`/scripts/${s.id}/clone`);
      assert.equal(clone.status, 303);
      const names = (await t.engine.scripts.list()).map((x) => x.name).sort();
      assert.deepEqual(names, ["greet", "greet (copy)"]);

      const del = await t.post(`/scripts/${s.id}/delete`);
      assert.equal(del.status, 303);
      assert.equal(del.location, "/scripts?deleted");
      assert.equal((await t.get(`/scripts/${s.id}`)).status, 404);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "scripts: a form past FORM_MAX is refused as it arrives (413); a script past the stored limit is refused with the reason (400), and nothing is stored",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const csrf = await t.csrf();
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let sent = 0;
      // 8 MiB without a length, as a client that streams its body sends it.
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode("name=huge&source="));
        },
        pull(c) {
          if (sent >= 8 * 1024 * 1024) return c.close();
          sent += chunk.length;
          c.enqueue(chunk);
        },
      });
      const huge = await t.request("/scripts", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
        body,
      });
      assert.equal(huge.status, 413);
      assert.match(await huge.text(), /The form is too large: at most 4 MiB/);
      assert.ok(sent < 8 * 1024 * 1024, `read ${sent} bytes of 8 MiB`);
      const big = await t.post("/scripts", { name: "big", source: "x".repeat(1_500_000) });
      assert.equal(big.status, 400);
      assert.match(big.html, /a stored script may be at most 1 MiB/);
      assert.deepEqual(await t.engine.scripts.list(), []);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "scripts: Run now refuses parameter rows with a value but no name, or a name twice, and shows them again",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const s = await t.engine.scripts.create({ name: "greet", source: 'Log.Info(Param("a"));' });
      const cases: [string[], string[], RegExp][] = [
        [["a", ""], ["1", "lost"], /Parameter 2 has a value but no name/],
        [["a", " a "], ["1", "2"], /The parameter &quot;a&quot; is given twice/],
      ];
      for (const [paramKey, paramValue, message] of cases) {
        const run = await t.post(`/scripts/${s.id}/run`, { paramKey, paramValue });
        assert.equal(run.status, 400, run.html);
        assert.match(run.html, message);
        assert.match(run.html, /name="paramValue" value="lost"|name="paramKey" value=" a "/);
      }
      assert.deepEqual((await t.engine.jobs.list({})).jobs, [], "no job was queued");
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "scripts: the form stores a script of exactly 1 MiB, also %-encoded three-fold, and refuses one byte more saying its size and to run it with aft run -f FILE; a form past FORM_MAX on a script page says the same",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const max = 1024 * 1024;
      const atLimit = "//" + "x".repeat(max - 2);
      // A control character is %01 in the form: three bytes of form for one of script.
      const encoded = "//" + "\u0001".repeat(max - 2);
      const made = await t.post("/scripts", { name: "at", source: atLimit });
      assert.equal(made.status, 303, made.html.slice(0, 500));
      const enc = await t.post("/scripts", { name: "enc", source: encoded });
      assert.equal(enc.status, 303, enc.html.slice(0, 500));
      const refusal =
        /1,048,577 bytes, and a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file: aft run -f FILE/;
      const over = await t.post("/scripts", { name: "over", source: atLimit + "x" });
      assert.equal(over.status, 400);
      assert.match(over.html, refusal);
      const id = (await t.engine.scripts.get("at")).id;
      const edit = await t.post(`/scripts/${id}`, { name: "at", source: encoded + "\u0001" });
      assert.equal(edit.status, 400);
      assert.match(edit.html, refusal);
      assert.equal((await t.engine.scripts.get("at")).source, atLimit);
      const csrf = await t.csrf();
      const huge = await t.request("/scripts", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf },
        body: "name=huge&source=" + "x".repeat(5 * max),
      });
      assert.equal(huge.status, 413);
      assert.match(
        await huge.text(),
        /The form is too large: at most 4 MiB: a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file: aft run -f FILE/,
      );
      assert.deepEqual((await t.engine.scripts.list()).map((s) => s.name).sort(), ["at", "enc"]);
    } finally {
      await t.close();
    }
  },
});
