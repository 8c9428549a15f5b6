/**
 * The REST side of the operations the web console added, against a real service: job history
 * filters, hourly figures, run again, log streams resumed with Last-Event-ID; schedule
 * previews, changes and runs; VFS changes, tests and files (streamed uploads past the 1 MiB
 * body limit); the last caller of a key; and a key without the admin scope refused by every
 * admin route of the OpenAPI document.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { createApiKey, type Json, startTestService, type TestService, waitJob } from "./_server.ts";

async function withService(fn: (svc: TestService) => Promise<void>) {
  const svc = await startTestService();
  try {
    await fn(svc);
  } finally {
    await svc.close();
  }
}

Deno.test("jobs: filters by trigger and time, hourly figures, run again, SSE resumed after Last-Event-ID", async () => {
  await withService(async (svc) => {
    await svc.engine.scripts.create({
      name: "count",
      source: 'for (var i = 1; i <= 5; i++) Log.Info("line " + i + " " + Param("k"));',
    });
    const first = await svc.call("POST", "/v1/jobs", {
      body: { scriptName: "count", params: { k: "v" } },
    });
    await waitJob(svc, first.json.id);
    const again = await svc.call("POST", `/v1/adm/jobs/${first.json.id}/rerun`);
    assert.equal(again.status, 201, again.text);
    assert.deepEqual(again.json.params, { k: "v" });
    assert.equal(again.json.trigger, "api");
    assert.equal(again.headers.get("Location"), `/v1/adm/jobs/${again.json.id}`);
    await waitJob(svc, again.json.id);
    const fromUi = await svc.engine.jobs.submit({
      target: { scriptName: "count" },
      trigger: "ui",
      caller: { kind: "local" },
    });
    // Ended before the hourly figures are read (a warm runner may end it at once, or not).
    await waitJob(svc, fromUi.id);

    const ui = await svc.call("GET", "/v1/adm/jobs?trigger=ui");
    assert.equal(ui.json.jobs.length, 1);
    const since = await svc.call(
      "GET",
      `/v1/adm/jobs?from=${encodeURIComponent(again.json.createdAt)}&trigger=api`,
    );
    assert.deepEqual(since.json.jobs.map((j: Json) => j.id), [again.json.id]);
    assert.equal((await svc.call("GET", "/v1/adm/jobs?trigger=cron")).status, 400);
    assert.equal((await svc.call("GET", "/v1/adm/jobs?from=soon")).status, 400);

    const hourly = await svc.call("GET", "/v1/adm/jobs/hourly");
    assert.equal(hourly.status, 200, hourly.text);
    assert.equal(hourly.json.length, 24);
    assert.equal(hourly.json.at(-1).succeeded, 3);
    assert.equal((await svc.call("GET", "/v1/adm/jobs/hourly?hours=3")).json.length, 3);

    // A stream resumed after line 3 sends lines 4 and 5, then the end.
    const sse = await fetch(`${svc.url}/v1/adm/jobs/${first.json.id}/log`, {
      headers: { "X-API-Key": svc.adminKey, Accept: "text/event-stream", "Last-Event-ID": "3" },
      client: svc.client,
    });
    const text = await sse.text();
    assert.deepEqual([...text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]), ["4", "5"]);
    assert.match(text, /event: end\ndata: \{"status":"succeeded"/);
  });
});

Deno.test("schedules: preview in words with the next runs, change, disable and enable, run now", async () => {
  await withService(async (svc) => {
    await svc.engine.scripts.create({ name: "a", source: 'Log.Info("hi " + Param("p"));' });
    const p = await svc.call(
      "GET",
      `/v1/adm/schedules/preview?cron=${encodeURIComponent("30 2 * * *")}`,
    );
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.description, "At 02:30, every day");
    assert.equal(p.json.next.length, 5);
    assert.equal(typeof p.json.timeZone, "string");
    const bad = await svc.call("GET", "/v1/adm/schedules/preview?cron=nope");
    assert.equal(bad.json.error.code, "INVALID_CRON");

    await svc.call("POST", "/v1/adm/schedules", {
      body: { name: "nightly", script: "a", cron: "0 2 * * *", params: { p: "q" } },
    });
    const off = await svc.call("PATCH", "/v1/adm/schedules/nightly", { body: { enabled: false } });
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.enabled, false);
    assert.equal(off.json.nextRunAt, null);
    const on = await svc.call("PATCH", "/v1/adm/schedules/nightly", {
      body: { enabled: true, cron: "15 3 * * *" },
    });
    assert.equal(on.json.enabled, true);
    assert.equal(new Date(on.json.nextRunAt).getMinutes(), 15);
    assert.equal(
      (await svc.call("PATCH", "/v1/adm/schedules/nightly", { body: { extra: 1 } })).status,
      400,
    );
    const run = await svc.call("POST", "/v1/adm/schedules/nightly/run");
    assert.equal(run.status, 201, run.text);
    assert.deepEqual(run.json.params, { p: "q" });
    assert.equal((await waitJob(svc, run.json.id)).status, "succeeded");
    assert.equal((await svc.call("POST", "/v1/adm/schedules/nope/run")).status, 404);
  });
});

Deno.test("vfs: change, test, and its files: upload past the body limit, list, download, mkdir, rename, delete", async () => {
  await withService(async (svc) => {
    const dir = await Deno.makeTempDir();
    try {
      await svc.call("POST", "/v1/adm/vfs", { body: { name: "box", type: "disk", target: dir } });
      const t = await svc.call("POST", "/v1/adm/vfs/box/test");
      assert.deepEqual(t.json, { name: "box", entries: 0 });
      // A change keeps a credential left empty; an option the type does not read is refused.
      await svc.call("POST", "/v1/adm/vfs", {
        body: {
          name: "remote",
          type: "sftp",
          target: "sftp://u@127.0.0.1/in",
          options: { pass: "p4ss" },
        },
      });
      const changed = await svc.call("PATCH", "/v1/adm/vfs/remote", {
        body: { options: { pass: "", idleTimeoutSeconds: "60" } },
      });
      assert.equal(changed.status, 200, changed.text);
      assert.deepEqual(changed.json.options, { pass: "***", idleTimeoutSeconds: "60" });
      assert.doesNotMatch(changed.text, /p4ss/);
      const typo = await svc.call("PATCH", "/v1/adm/vfs/remote", {
        body: { options: { note: "x" } },
      });
      assert.equal(typo.status, 400, typo.text);
      assert.match(typo.json.error.message, /^Unknown option "note" for VFS type sftp: it takes/);

      assert.equal(
        (await svc.call("POST", "/v1/adm/vfs/box/mkdir", { body: { path: "/in" } })).status,
        201,
      );
      const big = new Uint8Array(3 * 1024 * 1024 + 7).map((_, i) => i % 256);
      const up = await svc.call("PUT", "/v1/adm/vfs/box/file?path=/in/big.bin", {
        raw: big,
        headers: { "Content-Type": "application/octet-stream" },
      });
      assert.equal(up.status, 201, up.text);
      assert.equal(up.json.size, big.length);
      assert.equal((await Deno.stat(join(dir, "in", "big.bin"))).size, big.length);
      const again = await svc.call("PUT", "/v1/adm/vfs/box/file?path=/in/big.bin", { raw: "x" });
      assert.equal(again.status, 409);
      const over = await svc.call("PUT", "/v1/adm/vfs/box/file?path=/in/big.bin&overwrite=true", {
        raw: "small",
      });
      assert.equal(over.json.size, 5);

      const list = await svc.call("GET", "/v1/adm/vfs/box/files?path=/in");
      assert.deepEqual(list.json.entries.map((e: Json) => e.name), ["big.bin"]);
      const name = 'ré "port"\n.txt';
      await Deno.writeTextFile(join(dir, name), "hostile");
      const dl = await fetch(
        `${svc.url}/v1/adm/vfs/box/file?path=${encodeURIComponent(`/${name}`)}`,
        { headers: { "X-API-Key": svc.adminKey }, client: svc.client },
      );
      assert.equal(dl.status, 200);
      assert.equal(
        dl.headers.get("Content-Disposition"),
        `attachment; filename="r_ _port__.txt"; filename*=UTF-8''r%C3%A9%20%22port%22%0A.txt`,
      );
      assert.equal(await dl.text(), "hostile");
      const mv = await svc.call("POST", "/v1/adm/vfs/box/rename", {
        body: { from: "/in/big.bin", to: "/small.bin" },
      });
      assert.equal(mv.json.path, "/small.bin");
      assert.equal(
        (await svc.call("DELETE", "/v1/adm/vfs/box/file?path=/in")).status,
        204,
      );
      assert.equal(
        (await svc.call("GET", "/v1/adm/vfs/box/files?path=/../..")).json.error.code,
        "INVALID_REQUEST",
      );
      assert.equal((await svc.call("GET", "/v1/adm/vfs/box/files?path=/in")).status, 404);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("API keys are listed with their last caller's address", async () => {
  await withService(async (svc) => {
    const { key } = await createApiKey(svc.engine, { name: "ci" });
    await svc.call("GET", "/v1/adm/jobs", { key });
    let listed: Json;
    for (let i = 0; i < 50; i++) {
      listed = (await svc.call("GET", "/v1/adm/apikeys")).json.find((k: Json) => k.name === "ci");
      if (listed.lastCallerIp) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(listed.lastCallerIp, "127.0.0.1");
    assert.ok(listed.lastUsedAt);
  });
});

Deno.test("a key without the admin scope is refused by every admin route", async () => {
  await withService(async (svc) => {
    const { key } = await createApiKey(svc.engine, {
      name: "worker",
      scopes: ["jobs:start", "jobs:read", "files"],
    });
    const doc = (await svc.call("GET", "/v1/openapi.json", { key: null })).json;
    const admin: [string, string][] = [];
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(methods as Record<string, Json>)) {
        if (op["x-aft-scope"] === "admin") admin.push([method, path]);
      }
    }
    assert.ok(admin.length >= 20, `${admin.length} admin routes`);
    for (const [method, path] of admin) {
      const r = await svc.call(method.toUpperCase(), path.replace(/\{\w+\}/g, "x"), {
        key,
        body: method === "get" || method === "delete" ? undefined : {},
      });
      assert.equal(r.status, 403, `${method} ${path}: ${r.text}`);
      assert.equal(r.json.error.code, "MISSING_SCOPE", `${method} ${path}`);
    }
  });
});
