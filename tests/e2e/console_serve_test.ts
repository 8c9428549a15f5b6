/**
 * `aft serve` serves the web console beside the REST API: pages on `/`, each linked asset
 * immutable and compressed, the API's own answers unchanged. Run against the compiled binary
 * (`AFT_BIN`), this checks the assets the binary embeds; under `deno run`, the ones it bundles
 * on first use, and (with `AFT_UI_ASSETS`) a folder built as `deno task compile` builds it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDataDir } from "./_cli.ts";
import { startService, stopClean } from "./_service.ts";
import { firstAdmin } from "../ui/_console.ts";

async function withConsole(
  env: Record<string, string>,
  fn: (get: (path: string, headers?: Record<string, string>) => Promise<Response>) => Promise<void>,
) {
  const data = await tempDataDir();
  const svc = await startService(data, { env });
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(join(data, "tls", "ca.pem"))],
  });
  try {
    // Without a session a page sends the browser to sign in (here: to the wizard first).
    const before = await fetch(`https://${svc.host}/`, { client, redirect: "manual" });
    assert.equal(before.status, 303);
    assert.equal(before.headers.get("Location"), "/signin?next=%2F");
    await before.body?.cancel();
    const cookie = `__Host-aft_session=${await firstAdmin(`https://${svc.host}`, client)}`;
    await fn((path, headers = {}) =>
      fetch(`https://${svc.host}${path}`, { client, headers: { Cookie: cookie, ...headers } })
    );
  } finally {
    client.close();
    await stopClean(svc);
    await Deno.remove(data, { recursive: true });
  }
}

/** Checks the dashboard and every asset it links; returns the asset URLs. */
async function checkDashboard(
  get: (path: string, headers?: Record<string, string>) => Promise<Response>,
): Promise<string[]> {
  const page = await get("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("Content-Type") ?? "", /^text\/html/);
  assert.match(page.headers.get("Content-Security-Policy") ?? "", /script-src 'self'/);
  const html = await page.text();
  assert.match(html, /<title>Dashboard · aft<\/title>/);
  const assets = [
    ...new Set([...html.matchAll(/(?:href|src)="(\/assets\/[^"#]+)/g)].map((m) => m[1]!)),
  ];
  assert.ok(assets.length >= 4, `linked assets: ${assets.join(", ")}`);
  for (const a of assets) {
    const res = await get(a, { "Accept-Encoding": "br, gzip" });
    assert.equal(res.status, 200, a);
    assert.equal(res.headers.get("Cache-Control"), "public, max-age=31536000, immutable", a);
    assert.equal(res.headers.get("Vary"), "Accept-Encoding", a);
    const body = await res.arrayBuffer();
    assert.ok(body.byteLength > 0, a);
  }
  return assets;
}

Deno.test("aft serve: the console's pages and assets on the API's origin; the API answers as before", async () => {
  await withConsole({}, async (get) => {
    await checkDashboard(get);
    const health = await get("/v1/health");
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
    const nope = await get("/v1/nope");
    assert.equal(nope.status, 404);
    assert.equal((await nope.json()).error.code, "NOT_FOUND");
    const scripts = await get("/scripts");
    assert.equal(scripts.status, 200);
    assert.match(await scripts.text(), /<title>Scripts · aft<\/title>/);
    const missing = await get("/no/such/page");
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    const demo = await get("/style-guide");
    assert.equal(demo.status, 404, "the style guide only with AFT_UI_DEMO=1");
    await demo.body?.cancel();
  });
});

Deno.test({
  name: "aft serve with AFT_UI_ASSETS serves the folder src/ui/build.ts wrote (as a binary does)",
  // Building needs `deno`; a compiled binary has its own assets.
  ignore: Deno.env.get("AFT_BIN") !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "aft-ui-build-" });
    try {
      const root = new URL("../../", import.meta.url).pathname;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", join(root, "src/ui/build.ts"), dir],
        cwd: root,
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const manifest = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
      const files = new Set(manifest.assets.map((a: { file: string }) => `/assets/${a.file}`));
      await withConsole({ AFT_UI_ASSETS: dir }, async (get) => {
        for (const a of await checkDashboard(get)) assert.ok(files.has(a), `${a} from the folder`);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
