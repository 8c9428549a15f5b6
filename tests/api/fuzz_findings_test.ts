/**
 * Defects the REST API fuzz run (`fuzz_test.ts`) found, each pinned by a plain test against a
 * real service (HTTPS on loopback).
 */

import assert from "node:assert/strict";
import { startTestService, type TestService } from "./_server.ts";

async function withService(fn: (svc: TestService) => Promise<void>) {
  const svc = await startTestService();
  try {
    await fn(svc);
  } finally {
    await svc.close();
  }
}

/** A body of `bytes` sent as a stream, so without a Content-Length. */
function streamed(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode("x".repeat(65536));
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= bytes) return c.close();
      const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
      sent += part.length;
      c.enqueue(part);
    },
  });
}

Deno.test("a route without a body refuses a streamed body over 1 MiB with 413 and does nothing", async () => {
  await withService(async (svc) => {
    await svc.engine.secrets.set("kept", "value-of-the-secret");
    const res = await fetch(svc.url + "/v1/adm/secrets/kept", {
      method: "DELETE",
      headers: { "X-API-Key": svc.adminKey },
      body: streamed(2 * 1024 * 1024),
      client: svc.client,
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "BODY_TOO_LARGE");
    assert.deepEqual((await svc.engine.secrets.list()).map((s) => s.name), ["kept"]);
    // A small body on such a route is read and ignored.
    const small = await fetch(svc.url + "/v1/adm/secrets/kept", {
      method: "DELETE",
      headers: { "X-API-Key": svc.adminKey },
      body: "{}",
      client: svc.client,
    });
    assert.equal(small.status, 204);
    await small.body?.cancel();
  });
});

Deno.test("the OpenAPI document gives 413 for every operation, as each answers it", async () => {
  await withService(async (svc) => {
    const doc = (await svc.call("GET", "/v1/openapi.json", { key: null })).json;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
      for (const [method, op] of Object.entries(methods as Record<string, { responses: object }>)) {
        assert.ok("413" in op.responses, `${method} ${path} lists 413`);
      }
    }
    const r = await svc.call("DELETE", "/v1/adm/secrets/x", { raw: "x".repeat(1024 * 1024 + 1) });
    assert.equal(r.status, 413);
  });
});

Deno.test("the OpenAPI document gives the statuses operations answer for taken names and unknown scripts", async () => {
  await withService(async (svc) => {
    const doc = (await svc.call("GET", "/v1/openapi.json", { key: null })).json;
    const documented = (method: string, path: string, status: number) =>
      assert.ok(
        String(status) in doc.paths[path][method].responses,
        `${method} ${path} lists ${status}`,
      );
    await svc.engine.scripts.create({ name: "one", source: "" });
    await svc.engine.scripts.create({ name: "two", source: "" });
    const cases: [string, string, unknown, number][] = [
      ["post", "/v1/adm/schedules", { name: "s", script: "nope", cron: "0 0 1 1 *" }, 404],
      ["post", "/v1/adm/schedules", { name: "s", script: "one", cron: "0 0 1 1 *" }, 201],
      ["post", "/v1/adm/schedules", { name: "S", script: "one", cron: "0 0 1 1 *" }, 409],
      ["put", "/v1/adm/scripts/two", { name: "ONE" }, 409],
      ["post", "/v1/adm/apikeys", { name: "k" }, 201],
      ["post", "/v1/adm/apikeys", { name: "k" }, 409],
    ];
    for (const [method, path, body, status] of cases) {
      const r = await svc.call(method.toUpperCase(), path, { body });
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      documented(method, path.replace(/\/two$/, "/{id}"), status);
    }
    // aft run's local channel: a file that is not there.
    documented("post", "/v1/local/run", 404);
    // Writes can meet a full disk; job starts a stopping service.
    documented("delete", "/v1/adm/secrets/{name}", 507);
    documented("post", "/v1/jobs", 503);
  });
});
