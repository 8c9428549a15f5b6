/**
 * The clients of the job benchmarks (`jobs.ts`, `accept.ts`): `POST /v1/jobs` for a trivial
 * script, `total` times, from `clients` concurrent HTTPS clients, each taking the next request
 * as soon as its last one is answered. The peers get the same requests.
 *
 * @module
 */

/** The command-line options both benchmarks take for `postJobs` (for `parseArgs`). */
export const postJobsOptions = {
  jobs: { type: "string", default: "2000" },
  clients: { type: "string", default: "16" },
} as const;

/** What to send and how many at once. */
export interface PostJobs {
  url: string;
  http: Deno.HttpClient;
  key: string;
  total: number;
  clients: number;
}

/** Sends the requests; returns how many were not answered 201. */
export async function postJobs(o: PostJobs): Promise<number> {
  let next = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      while (next < o.total) {
        const n = next++;
        const r = await fetch(o.url, {
          method: "POST",
          client: o.http,
          headers: { "X-API-Key": o.key, "Content-Type": "application/json" },
          body: JSON.stringify({ scriptName: "trivial", params: { n: String(n) } }),
        });
        await r.body?.cancel();
        if (r.status !== 201) refused++;
      }
    }),
  );
  return refused;
}
