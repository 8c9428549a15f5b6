/**
 * A REST client for end-to-end tests against a running `aft serve`: trusts the data
 * directory's CA and sends an API key, so many jobs go in without a process each.
 */

import { join } from "node:path";

export interface Rest {
  /** Sends a request; returns the status and the JSON body. */
  // deno-lint-ignore no-explicit-any
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Queues a stored script by name; returns the job ID. */
  start(scriptName: string): Promise<string>;
  /** Waits until every job in `ids` has one of the `want` statuses (limit `ms`). */
  waitAll(ids: string[], want: string[], ms?: number): Promise<void>;
  close(): void;
}

/** A client of the service at `host` (`127.0.0.1:PORT`) on `data`, with `key`. */
export async function restClient(data: string, host: string, key: string): Promise<Rest> {
  const ca = await Deno.readTextFile(join(data, "tls", "ca.pem"));
  const client = Deno.createHttpClient({ caCerts: [ca] });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`https://${host}${path}`, {
      method,
      client,
      headers: { "X-API-Key": key, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    call,
    async start(scriptName) {
      const r = await call("POST", "/v1/jobs", { scriptName });
      if (r.status !== 201) throw new Error(`POST /v1/jobs: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id;
    },
    async waitAll(ids, want, ms = 120_000) {
      const until = Date.now() + ms;
      for (const id of ids) {
        for (;;) {
          const r = await call("GET", `/v1/adm/jobs/${id}`);
          if (want.includes(r.body?.status)) break;
          if (Date.now() > until) throw new Error(`job ${id} is ${r.body?.status}, not ${want}`);
          await new Promise((res) => setTimeout(res, 200));
        }
      }
    },
    close: () => client.close(),
  };
}
