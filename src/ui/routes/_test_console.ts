/**
 * The console's pages over a real engine on a fresh data directory, for the route tests:
 * requests go through the whole console app (session check, CSRF, pages) with the session
 * cookie of an administrator who signed in, forms are posted with the page's CSRF token, and
 * jobs really run.
 *
 * @module
 */

import { createEngine, type Engine } from "../../engine/mod.ts";
import { testAssets } from "../_test_assets.ts";
import { createConsole } from "../app.ts";
import { SESSION_COOKIE } from "../session.ts";

/** The test admin's password (the policy wants 12 characters and no common words). */
const PASSWORD = "quartz-Lantern-91-meadow";

/** A console to send requests to. */
export interface TestConsole {
  engine: Engine;
  /** A request as a signed-in admin's browser sends it (with its session). */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** GET as the signed-in admin: status, HTML and headers. */
  get(path: string): Promise<{ status: number; html: string; headers: Headers }>;
  /** POSTs a form with the CSRF token of a page (`csrf: false` leaves it out). */
  post(
    path: string,
    fields?: Record<string, string | string[]>,
    opts?: { csrf?: boolean },
  ): Promise<{ status: number; html: string; location: string | null }>;
  /** The CSRF token pages carry (for fetch-style requests). */
  csrf(): Promise<string>;
  close(): Promise<void>;
}

/** Starts an engine (its runners, no schedules) and the console over it. */
export async function testConsole(): Promise<TestConsole> {
  const dataDir = await Deno.makeTempDir({ prefix: "aft-ui-pages-" });
  const engine = await createEngine({ dataDir, log: () => {} });
  await engine.service.start({ maxIdleRunners: 1, schedules: false });
  const assets = await testAssets();
  const web = createConsole({ assets: () => Promise.resolve(assets), engine });
  const env = { remoteAddr: "127.0.0.1" };
  await engine.admins.create({ username: "admin", password: PASSWORD });
  const signedIn = await engine.sessions.signIn({
    username: "admin",
    password: PASSWORD,
    ip: "127.0.0.1",
  });
  if (signedIn.status !== "signed-in") throw new Error("The test admin has two-factor sign-in");
  const cookie = `${SESSION_COOKIE}=${signedIn.token}`;
  const request = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("Cookie", cookie);
    return Promise.resolve(
      web.request(`https://127.0.0.1:44399${path}`, { ...init, headers }, env),
    );
  };
  const csrf = async () => {
    const html = await (await request("/secrets")).text();
    const token = html.match(/<meta name="csrf-token" content="([^"]+)"/)?.[1];
    if (!token) throw new Error("The page has no CSRF token");
    return token;
  };
  return {
    engine,
    request,
    csrf,
    async get(path) {
      const res = await request(path);
      return { status: res.status, html: await res.text(), headers: res.headers };
    },
    async post(path, fields = {}, opts = {}) {
      const body = new URLSearchParams();
      if (opts.csrf !== false) body.set("_csrf", await csrf());
      for (const [k, v] of Object.entries(fields)) {
        for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      }
      const res = await request(path, { method: "POST", body, redirect: "manual" });
      return { status: res.status, html: await res.text(), location: res.headers.get("Location") };
    },
    async close() {
      await engine.service.stop();
      await engine.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** Waits until a job has finished; its status. */
export async function jobEnd(engine: Engine, id: string): Promise<string> {
  for await (const e of engine.jobs.follow(id, {})) {
    if (e.type === "end") return e.job.status;
  }
  return (await engine.jobs.get(id)).status;
}
