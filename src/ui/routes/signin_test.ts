import assert from "node:assert/strict";
import { withEngine } from "../../engine/_test_engine.ts";
import type { Engine } from "../../engine/mod.ts";
import { testAssets } from "../_test_assets.ts";
import { createConsole } from "../app.ts";
import { SIGN_IN_FORM_MAX } from "./signin.tsx";

const assets = await testAssets();
const PW = "correct horse battery staple";

/** A browser in miniature: keeps the cookies the console sets, from one address. */
class Client {
  cookies = new Map<string, string>();
  constructor(readonly web: ReturnType<typeof createConsole>, readonly ip = "127.0.0.1") {}

  async req(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await this.web.request(path, { ...init, headers }, { remoteAddr: this.ip });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair!.indexOf("=");
      const name = pair!.slice(0, at), value = pair!.slice(at + 1);
      if (value === "" || /Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** The `_csrf` value of the page at `path`. */
  async csrf(path: string): Promise<string> {
    const html = await (await this.req(path)).text();
    const m = html.match(/name="_csrf" value="([^"]+)"/);
    assert.ok(m, `${path} has a form with _csrf`);
    return m[1]!;
  }

  post(path: string, fields: Record<string, string>): Promise<Response> {
    return this.req(path, { method: "POST", body: new URLSearchParams(fields) });
  }
}

function withConsole(
  fn: (web: ReturnType<typeof createConsole>, engine: Engine, dataDir: string) => Promise<void>,
) {
  return withEngine(async (engine, dataDir) => {
    const logged: string[] = [];
    const web = createConsole({
      assets: () => Promise.resolve(assets),
      engine,
      log: (m) => logged.push(m),
    });
    await fn(web, engine, dataDir);
  });
}

async function setUp(c: Client, username = "ada", password = PW) {
  const _csrf = await c.csrf("/setup");
  return c.post("/setup", { _csrf, username, password, password2: password });
}

Deno.test("console without a session: pages go to /signin, then to /setup while no admin exists", async () => {
  await withConsole(async (web) => {
    const c = new Client(web);
    const res = await c.req("/?x=1");
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/signin?next=%2F%3Fx%3D1");
    const signin = await c.req("/signin");
    assert.equal(signin.status, 303);
    assert.equal(signin.headers.get("Location"), "/setup");
    const post = await c.req("/", { method: "POST" });
    assert.equal(post.status, 401);
  });
});

Deno.test("setup wizard from loopback: creates the first admin, signs in, then is closed", async () => {
  await withConsole(async (web, engine) => {
    const c = new Client(web, "::1");
    const res = await setUp(c);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/?welcome");
    const cookie = res.headers.getSetCookie().find((l) => l.startsWith("__Host-aft_session="));
    assert.ok(cookie);
    for (const part of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) {
      assert.ok(cookie.includes(part), `${part} in ${cookie}`);
    }
    const home = await c.req("/");
    assert.equal(home.status, 200);
    const html = await home.text();
    assert.match(html, /Signed in as/);
    assert.match(html, /<meta name="csrf-token" content="[A-Za-z0-9_-]{86}"/);
    assert.equal((await engine.admins.list()).length, 1);
    const again = await new Client(web).req("/setup");
    assert.equal(again.status, 303);
    assert.equal(again.headers.get("Location"), "/signin");
  });
});

Deno.test("setup wizard from another address: refused without the code, accepted with it", async () => {
  await withConsole(async (web, engine) => {
    const c = new Client(web, "192.0.2.7");
    const page = await (await c.req("/setup")).text();
    assert.match(page, /name="code"/);
    const _csrf = await c.csrf("/setup");
    const bare = await c.post("/setup", { _csrf, username: "ada", password: PW, password2: PW });
    assert.equal(bare.status, 403);
    assert.match(await bare.text(), /open from this machine only/);
    const wrong = await c.post("/setup", {
      _csrf,
      code: "AAAA-AAAA-AAAA-AAAA",
      username: "ada",
      password: PW,
      password2: PW,
    });
    assert.equal(wrong.status, 401);
    assert.equal((await engine.admins.list()).length, 0);
    const code = (await engine.setup.issueCode())!;
    const ok = await c.post("/setup", {
      _csrf,
      code,
      username: "ada",
      password: PW,
      password2: PW,
    });
    assert.equal(ok.status, 303);
    assert.equal((await engine.admins.list()).length, 1);
  });
});

Deno.test("sign-in: a wrong password is refused with 401, the right one opens a session", async () => {
  await withConsole(async (web) => {
    await setUp(new Client(web));
    const c = new Client(web, "10.0.0.5");
    let _csrf = await c.csrf("/signin?next=/audit");
    const wrong = await c.post("/signin", { _csrf, username: "ada", password: "nope", next: "/x" });
    assert.equal(wrong.status, 401);
    assert.equal(c.cookies.has("__Host-aft_session"), false);
    _csrf = await c.csrf("/signin");
    const ok = await c.post("/signin", { _csrf, username: "ada", password: PW, next: "/audit" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("Location"), "/audit");
    assert.ok(c.cookies.has("__Host-aft_session"));
    // A next that leaves the console goes home instead.
    const d = new Client(web);
    _csrf = await d.csrf("/signin");
    const away = await new Client(web).post("/signin", { _csrf, username: "ada", password: PW });
    assert.equal(away.status, 403, "another browser has not this pre-session cookie");
    const off = await d.post("/signin", { _csrf, username: "ada", password: PW, next: "//e.x/" });
    assert.equal(off.headers.get("Location"), "/");
  });
});

Deno.test("sign-in form without its CSRF token is refused with 403 and opens nothing", async () => {
  await withConsole(async (web) => {
    await setUp(new Client(web));
    const c = new Client(web);
    await c.req("/signin");
    const res = await c.post("/signin", { username: "ada", password: PW });
    assert.equal(res.status, 403);
    assert.equal(c.cookies.has("__Host-aft_session"), false);
  });
});

Deno.test("a change without the session's CSRF token is 403; with it, it passes", async () => {
  await withConsole(async (web, engine) => {
    const c = new Client(web);
    await setUp(c);
    const none = await c.req("/signout", { method: "POST" });
    assert.equal(none.status, 403);
    const foreign = await c.post("/signout", { _csrf: await c.csrf("/") });
    assert.equal(foreign.status, 303, "the token of a page of this session passes");
    assert.equal((await engine.sessions.list()).length, 0, "sign-out ends the session");
    const after = await c.req("/");
    assert.equal(after.status, 303);
  });
});

Deno.test("a guarded change needs the CSRF token (header or field) and a same-origin Origin", async () => {
  await withConsole(async (web) => {
    const c = new Client(web);
    await setUp(c);
    const token = await c.csrf("/");
    // POST / has no handler: passing the guard shows as 404, failing it as 403.
    assert.equal((await c.req("/", { method: "POST" })).status, 403);
    // One character changed (a fixed "x" would leave a token that starts with "x" as it was).
    const wrong = (token[0] === "x" ? "y" : "x") + token.slice(1);
    assert.equal((await c.post("/", { _csrf: wrong })).status, 403);
    assert.equal(
      (await c.req("/", { method: "DELETE", headers: { "X-CSRF-Token": token } })).status,
      404,
    );
    assert.equal((await c.post("/", { _csrf: token })).status, 404);
    const cross = await c.req("/", {
      method: "POST",
      headers: { "X-CSRF-Token": token, Origin: "https://evil.example" },
    });
    assert.equal(cross.status, 403);
    // The token of another session is not this one's.
    const other = new Client(web);
    const _csrf = await other.csrf("/signin");
    await other.post("/signin", { _csrf, username: "ada", password: PW });
    const theirs = await other.csrf("/");
    assert.equal((await c.post("/", { _csrf: theirs })).status, 403);
  });
});

Deno.test("an ended session sends the browser to sign in again, and an API key opens nothing", async () => {
  await withConsole(async (web, engine, dataDir) => {
    const c = new Client(web);
    await setUp(c);
    assert.equal((await c.req("/")).status, 200);
    // Made two minutes ago (as if): with a lifetime of one minute it has ended.
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(`${dataDir}/aft.db`);
    db.prepare("UPDATE sessions SET created_at = ?").run(
      new Date(Date.now() - 120_000).toISOString(),
    );
    db.close();
    await engine.settings.set("sessionLifetimeMinutes", 1);
    const res = await c.req("/scripts");
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("Location"), "/signin?next=%2Fscripts&ended=1");
    assert.equal(c.cookies.has("__Host-aft_session"), false);
    const { key } = await engine.apikeys.create({ name: "k", scopes: ["admin"] });
    const keyed = await web.request("/", { headers: { "X-API-Key": key } });
    assert.equal(keyed.status, 303);
  });
});

Deno.test("a sign-in, code or setup form larger than SIGN_IN_FORM_MAX is refused as it arrives (413), declared or streamed", async () => {
  await withConsole(async (web) => {
    await setUp(new Client(web));
    const big = "username=ada&password=" + "x".repeat(SIGN_IN_FORM_MAX);
    for (const path of ["/signin", "/signin/code", "/setup"]) {
      const c = new Client(web);
      const declared = await c.req(path, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: big,
      });
      assert.equal(declared.status, 413, path);
      // No length given: the body is counted as it streams.
      const streamed = await c.req(path, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: ReadableStream.from([new TextEncoder().encode(big)]),
      });
      assert.equal(streamed.status, 413, `${path} streamed`);
      assert.equal(c.cookies.has("__Host-aft_session"), false);
    }
  });
});
