import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { withEngine } from "../engine/_test_engine.ts";

Deno.test("CORS: an origin of corsOrigins gets its preflight answered and its answers (errors too) marked; others get nothing", async () => {
  await withEngine(async (engine) => {
    const { key } = await engine.apikeys.create({ name: "web", scopes: ["jobs:read"] });
    await engine.settings.set("corsOrigins", ["https://ops.example.com"]);
    const app = createApp({ engine });
    const call = (method: string, headers: Record<string, string>) =>
      app.request("/v1/adm/jobs", { method, headers }, { remoteAddr: "127.0.0.1" });
    const preflight = (origin: string) =>
      call("OPTIONS", {
        Origin: origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-api-key",
      });

    const ok = await preflight("https://ops.example.com");
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("Access-Control-Allow-Origin"), "https://ops.example.com");
    assert.match(ok.headers.get("Access-Control-Allow-Headers") ?? "", /X-API-Key/);
    assert.match(ok.headers.get("Access-Control-Allow-Methods") ?? "", /PATCH/);
    assert.equal(ok.headers.get("Access-Control-Allow-Credentials"), null);

    const other = await preflight("https://evil.example.net");
    assert.equal(other.status, 204);
    assert.equal(other.headers.get("Access-Control-Allow-Origin"), null);

    const read = await call("GET", { Origin: "https://ops.example.com", "X-API-Key": key });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get("Access-Control-Allow-Origin"), "https://ops.example.com");
    assert.match(read.headers.get("Vary") ?? "", /Origin/);
    // An error is readable by the page too (else it sees only a network error).
    const denied = await call("GET", { Origin: "https://ops.example.com", "X-API-Key": "wrong" });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get("Access-Control-Allow-Origin"), "https://ops.example.com");
    const foreign = await call("GET", { Origin: "https://evil.example.net", "X-API-Key": key });
    assert.equal(foreign.status, 200);
    assert.equal(foreign.headers.get("Access-Control-Allow-Origin"), null);

    // "*" allows any origin; a value that is no origin is refused when set.
    await engine.settings.set("corsOrigins", ["*"]);
    assert.equal(
      (await preflight("https://any.example.org")).headers.get("Access-Control-Allow-Origin"),
      "https://any.example.org",
    );
    await assert.rejects(
      engine.settings.set("corsOrigins", ["not a url"]),
      {
        message:
          'Setting "corsOrigins" takes origins (scheme://host[:port], no path) or *, not "not a url"',
      },
    );
    await assert.rejects(engine.settings.set("corsOrigins", ["https://a.example.com/app"]));
  });
});
