import assert from "node:assert/strict";
import { FailureLimiter, MemoryFailures } from "./auth.ts";

Deno.test("the failure limiter blocks after the limit and forgets after the window", async () => {
  let now = 0;
  const l = new FailureLimiter(3, 1000, new MemoryFailures(() => now));
  for (let i = 0; i < 3; i++) {
    now = 100 * i;
    assert.equal(await l.blockedFor("1.2.3.4"), 0);
    assert.equal(await l.fail("1.2.3.4"), 0);
  }
  now = 300;
  assert.ok(await l.blockedFor("1.2.3.4") >= 1);
  // A failure while blocked is answered with the wait, and not counted.
  assert.ok(await l.fail("1.2.3.4") >= 1);
  assert.equal(await l.blockedFor("5.6.7.8"), 0);
  now = 1001;
  assert.equal(await l.blockedFor("1.2.3.4"), 0);
});

Deno.test("the limiter throttles failures: a valid key from a blocked address still works", async () => {
  const { createApp } = await import("./app.ts");
  const { withEngine } = await import("../engine/_test_engine.ts");
  await withEngine(async (engine) => {
    const { key } = await engine.apikeys.create({ name: "ci", scopes: ["jobs:read"] });
    const said: string[] = [];
    const app = createApp({
      engine,
      localToken: "tok",
      limiter: new FailureLimiter(2, 60_000),
      log: (m) => said.push(m),
    });
    const call = (headers: Record<string, string>, path = "/v1/adm/jobs") =>
      app.request(path, { headers }, { remoteAddr: "127.0.0.1" });
    assert.equal((await call({ "X-API-Key": "wrong" })).status, 401);
    assert.equal((await call({ "X-API-Key": "wrong" })).status, 401);
    // The service's log says so once, when the address is locked out.
    assert.equal(said.length, 1);
    assert.match(
      said[0]!,
      /^2 failed API authentications from 127\.0\.0\.1 within 60 s: its requests are refused \(429\) for \d+ s/,
    );
    const blocked = await call({ "X-API-Key": "wrong" });
    assert.equal(blocked.status, 429);
    assert.equal(said.length, 1);
    assert.ok(Number(blocked.headers.get("Retry-After")) >= 1);
    assert.equal((await call({ "X-API-Key": key })).status, 200);
    // The local channel of aft run, and /metrics from loopback, are not locked out either.
    assert.equal((await call({ "X-Aft-Local-Token": "tok" })).status, 200);
    assert.equal((await call({}, "/metrics")).status, 200);
    // Failures of any kind from the address go on being answered with 429.
    assert.equal((await call({ "X-Aft-Local-Token": "nope" })).status, 429);
    assert.equal((await call({})).status, 429);
    // Another address is not affected.
    const other = await app.request("/v1/adm/jobs", { headers: { "X-API-Key": "wrong" } }, {
      remoteAddr: "127.0.0.2",
    });
    assert.equal(other.status, 401);
  });
});

Deno.test("failed API keys are counted in the store: a second app on it (another node) sees them", async () => {
  const { createApp } = await import("./app.ts");
  const { withEngine } = await import("../engine/_test_engine.ts");
  await withEngine(async (engine) => {
    const nodeA = createApp({ engine });
    const nodeB = createApp({ engine });
    const call = (app: typeof nodeA) =>
      app.request("/v1/adm/jobs", { headers: { "X-API-Key": "wrong" } }, {
        remoteAddr: "192.0.2.5",
      });
    for (let i = 0; i < 10; i++) assert.equal((await call(i % 2 ? nodeA : nodeB)).status, 401);
    assert.equal((await call(nodeA)).status, 429);
    assert.equal((await call(nodeB)).status, 429);
  });
});
