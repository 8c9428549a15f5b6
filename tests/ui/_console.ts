/**
 * A real `aft serve` with the console's demo pages on (`AFT_UI_DEMO=1`), for the browser
 * tests and `bench/ui.ts`: on a free loopback port, on a fresh data directory. The first
 * admin is created through the setup wizard (from loopback, as a person on the service's
 * machine would), and its session cookie is kept for the tests: `signIn(context)` gives it to
 * a browser context, `cookieHeader` to curl.
 *
 * @module
 */

import type { BrowserContext } from "playwright-core";
import { tempDataDir } from "../e2e/_cli.ts";
import { type RunningService, startService } from "../e2e/_service.ts";

/** The first admin the harness creates. */
export const ADMIN = { username: "admin", password: "correct horse battery staple" };

/** A running service and its console's address. */
export interface ConsoleService {
  url: string;
  service: RunningService;
  data: string;
  /** The session of the first admin: `__Host-aft_session=...`. */
  cookieHeader: string;
  /** Gives a browser context the first admin's session. */
  signIn(context: BrowserContext): Promise<void>;
  /** A client that trusts the service's certificate. */
  client: Deno.HttpClient;
  stop(): Promise<void>;
}

/** The `name=value` pairs a response sets. */
export function setCookies(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(";")[0]!;
    const at = pair.indexOf("=");
    out.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return out;
}

/**
 * The wizard, over HTTP: GET /setup for its form and pre-session cookie, then POST it; returns
 * the new session's token.
 */
export async function firstAdmin(url: string, client: Deno.HttpClient): Promise<string> {
  const form = await fetch(`${url}/setup`, { client, redirect: "manual" });
  const html = await form.text();
  const csrf = html.match(/name="_csrf" value="([^"]+)"/)?.[1];
  if (!csrf) throw new Error(`GET /setup answered ${form.status} without a form`);
  const pre = [...setCookies(form)].map(([k, v]) => `${k}=${v}`).join("; ");
  const res = await fetch(`${url}/setup`, {
    client,
    method: "POST",
    redirect: "manual",
    headers: { Cookie: pre },
    body: new URLSearchParams({
      _csrf: csrf,
      username: ADMIN.username,
      password: ADMIN.password,
      password2: ADMIN.password,
    }),
  });
  await res.body?.cancel();
  const session = setCookies(res).get("__Host-aft_session");
  if (res.status !== 303 || !session) throw new Error(`POST /setup answered ${res.status}`);
  return session;
}

/**
 * Starts `aft serve` with the demo pages; `env` adds to its environment. With `setup: false`
 * no admin is created (the wizard's own tests).
 */
export async function startConsole(
  env: Record<string, string> = {},
  opts: { setup?: boolean; args?: string[] } = {},
): Promise<ConsoleService> {
  const data = await tempDataDir();
  const service = await startService(data, { env: { AFT_UI_DEMO: "1", ...env }, args: opts.args });
  const url = `https://127.0.0.1:${service.port}`;
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(`${data}/tls/ca.pem`)],
  });
  const session = opts.setup === false ? "" : await firstAdmin(url, client);
  return {
    url,
    service,
    data,
    client,
    cookieHeader: `__Host-aft_session=${session}`,
    async signIn(context) {
      await context.addCookies([{
        name: "__Host-aft_session",
        value: session,
        url,
        secure: true,
        httpOnly: true,
        sameSite: "Strict",
      }]);
    },
    async stop() {
      client.close();
      await service.stop("SIGTERM");
      await Deno.remove(data, { recursive: true }).catch(() => {});
    },
  };
}
