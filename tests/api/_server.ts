/**
 * A real service in the test process: engine on a temporary data directory, job queue with
 * runner processes, and the Hono app behind Deno.serve over HTTPS with the generated
 * certificate, on a free loopback port. Requests go through `fetch` trusting the local CA.
 */

import { createEngine, type Engine, type EngineOptions } from "../../src/engine/mod.ts";
import { createApp } from "../../src/api/app.ts";
import type { FailureLimiter } from "../../src/api/auth.ts";
import { loadOrCreateTls } from "../../src/api/tls.ts";

/** Creates an API key through the engine; returns the key, shown this once. */
export async function createApiKey(
  engine: Engine,
  input: { name: string; allow?: string[]; scopes?: string[] },
): Promise<{ key: string }> {
  return await engine.apikeys.create(input);
}

// deno-lint-ignore no-explicit-any
export type Json = any;

export interface TestService {
  engine: Engine;
  url: string;
  client: Deno.HttpClient;
  dataDir: string;
  /** A key with every scope, allowed from loopback. */
  adminKey: string;
  call(
    method: string,
    path: string,
    opts?: {
      key?: string | null;
      body?: unknown;
      raw?: string | Uint8Array;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; json: Json; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestService(
  opts: {
    limiter?: FailureLimiter;
    settings?: Record<string, unknown>;
    store?: EngineOptions["store"];
    dataDir?: string;
  } = {},
): Promise<TestService> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "aft-api-" });
  const engine = await createEngine({ dataDir, store: opts.store });
  for (const [k, v] of Object.entries(opts.settings ?? {})) await engine.settings.set(k, v);
  await engine.service.start({ maxIdleRunners: 1, schedules: false });
  const tls = await loadOrCreateTls(dataDir);
  const app = createApp({ engine, limiter: opts.limiter });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert: tls.cert, key: tls.key, onListen: () => {} },
    (req, info) => app.fetch(req, { remoteAddr: info.remoteAddr.hostname }),
  );
  const url = `https://127.0.0.1:${server.addr.port}`;
  const client = Deno.createHttpClient({ caCerts: [tls.ca!] });
  const { key: adminKey } = await createApiKey(engine, {
    name: "test-admin",
    scopes: ["jobs:start", "jobs:read", "files", "admin"],
  });

  return {
    engine,
    url,
    client,
    dataDir,
    adminKey,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      const key = o.key === undefined ? adminKey : o.key;
      if (key !== null) headers["X-API-Key"] = key;
      let body: BodyInit | undefined;
      if (o.raw !== undefined) body = o.raw as BodyInit;
      else if (o.body !== undefined) body = JSON.stringify(o.body);
      if (body !== undefined) headers["Content-Type"] ??= "application/json";
      const res = await fetch(url + path, { method, headers, body, client });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async close() {
      await engine.service.stop();
      await server.shutdown();
      client.close();
      await engine.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** Polls a job until it has finished. */
export async function waitJob(svc: TestService, id: string, timeoutMs = 20_000): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await svc.call("GET", `/v1/adm/jobs/${id}`);
    if (["succeeded", "failed", "halted"].includes(r.json?.status)) return r.json;
    if (Date.now() > until) throw new Error(`job ${id} still ${r.json?.status}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
