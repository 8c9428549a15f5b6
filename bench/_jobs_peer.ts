/**
 * The peers of `bench/jobs.ts`, run in a process of their own as `aft serve` is:
 *
 *   - `serve CERT KEY PORT`: a bare `Deno.serve` over the same TLS certificate that reads a
 *     JSON body and answers 201 with a small JSON object (what accepting a job costs at the
 *     least: TLS, HTTP, JSON, with no check, store or queue);
 *   - `workers N C`: N trivial scripts, each in a fresh Worker without permissions, C at a time
 *     (what running a job costs at the least with one Worker per job); prints the seconds.
 *
 * @module
 */

const [mode, ...rest] = Deno.args;

if (mode === "serve") {
  const [certFile, keyFile, port] = rest;
  const cert = await Deno.readTextFile(certFile!);
  const key = await Deno.readTextFile(keyFile!);
  let n = 0;
  Deno.serve(
    { hostname: "127.0.0.1", port: Number(port), cert, key, onListen: () => console.log("ready") },
    async (req) => {
      const body = await req.json();
      return Response.json({ id: `peer-${n++}`, status: "queued", params: body.params }, {
        status: 201,
      });
    },
  );
} else if (mode === "workers") {
  const total = Number(rest[0]);
  const concurrency = Number(rest[1]);
  const src = `self.onmessage = (e) => { self.postMessage("job " + e.data); self.close(); };`;
  const url = `data:application/javascript,${encodeURIComponent(src)}`;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const w = new Worker(url, { type: "module", deno: { permissions: "none" } });
        await new Promise<void>((resolve) => {
          w.onmessage = () => resolve();
          w.postMessage(i);
        });
        w.terminate();
      }
    }),
  );
  console.log(((performance.now() - t0) / 1000).toFixed(3));
} else {
  console.error("usage: _jobs_peer.ts serve CERT KEY PORT | workers N C");
  Deno.exit(2);
}
