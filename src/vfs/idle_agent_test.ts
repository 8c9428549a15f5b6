import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { makeCertificate } from "../../tests/fixtures/cert.ts";
import { idleAgents } from "./idle_agent.ts";

/** A server whose `/trickle` answer sends 10 bytes every `every` ms, `n` times, then `/stall`s. */
function trickleServer() {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const sleep = (ms: number) =>
    new Promise<void>((ok) => {
      const t = setTimeout(() => (timers.delete(t), ok()), ms);
      timers.add(t);
    });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/") return new Response("ok");
    const stall = url.pathname === "/stall";
    const body = new ReadableStream<Uint8Array>({
      async start(c) {
        for (let i = 0; i < 6; i++) {
          c.enqueue(new Uint8Array(10));
          await sleep(150);
        }
        if (stall) await sleep(3_000);
        c.close();
      },
    });
    return new Response(body);
  });
  return {
    port: server.addr.port,
    async close() {
      for (const t of timers) clearTimeout(t);
      await server.shutdown();
    },
  };
}

function get(port: number, path: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      let n = 0;
      res.on("data", (d: Uint8Array) => n += d.length);
      res.on("end", () => resolve(n));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

Deno.test("idle agents: a slow answer is not idle; one that stops fails with ETIMEDOUT; a pooled connection is closed, not failed", async () => {
  const server = trickleServer();
  const agents = idleAgents(400);
  const agent = agents.for(`http://127.0.0.1:${server.port}/`);
  try {
    assert.equal(agents.for("http://x/"), agent, "one pool per scheme");
    assert.notEqual(agents.for("https://x/"), agent);
    // 0.9 s in all, never 0.4 s without a byte.
    assert.equal(await get(server.port, "/trickle", agent), 60);
    // Kept in the pool past the idle time: closed quietly, and the next request gets a new one.
    await new Promise((ok) => setTimeout(ok, 700));
    assert.equal(agents.closedIdle, 1, "the pooled connection was closed");
    assert.equal(await get(server.port, "/", agent), 2);
    const before = agents.closedIdle;
    const started = performance.now();
    await assert.rejects(get(server.port, "/stall", agent), (e: Error & { code?: string }) => {
      assert.equal(e.code, "ETIMEDOUT");
      assert.equal(
        e.message,
        "No byte went either way on the connection for 0.4 s (the idleTimeoutSeconds option)",
      );
      return true;
    });
    const waited = performance.now() - started;
    assert.ok(waited > 1_000 && waited < 2_900, `failed after ${waited} ms`);
    assert.ok(agents.closedIdle > before);
  } finally {
    agents.destroy();
    await server.close();
  }
});

Deno.test("idle agents: the https pool speaks TLS with the request's own trust, and fails an idle server the same way", async () => {
  const dir = await Deno.makeTempDir();
  const ca = await makeCertificate(dir);
  let release = () => {};
  const never = new Promise<Response>((ok) => release = () => ok(new Response("late")));
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    cert: await Deno.readTextFile(join(dir, "cert.pem")),
    key: await Deno.readTextFile(join(dir, "key.pem")),
  }, (req) => new URL(req.url).pathname === "/" ? new Response("tls") : never);
  const agents = idleAgents(300);
  const agent = agents.for(`https://127.0.0.1:${server.addr.port}/`) as https.Agent;
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      https.get({ host: "127.0.0.1", port: server.addr.port, path, agent, ca }, (res) => {
        let text = "";
        res.on("data", (d: Uint8Array) => text += new TextDecoder().decode(d));
        res.on("end", () => resolve(text));
        res.on("error", reject);
      }).on("error", reject);
    });
  try {
    assert.equal(await get("/"), "tls");
    await assert.rejects(get("/never"), { code: "ETIMEDOUT" });
  } finally {
    agents.destroy();
    release();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
