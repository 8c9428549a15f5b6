import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { testAssets } from "./_test_assets.ts";
import { consoleOwns, createConsole } from "./app.ts";
import { CSP } from "./security.ts";
import { parseEvents } from "./client/live.ts";

const assets = await testAssets();
const web = createConsole({ assets: () => Promise.resolve(assets), demo: true });
const plain = createConsole({ assets: () => Promise.resolve(assets) });

Deno.test("consoleOwns() leaves /v1/ and /metrics to the REST API", () => {
  for (const p of ["/", "/scripts", "/assets/x.js", "/v1x", "/metrics/x", "/style-guide"]) {
    assert.ok(consoleOwns(p), p);
  }
  for (const p of ["/v1", "/v1/", "/v1/health", "/v1/adm/jobs", "/metrics"]) {
    assert.ok(!consoleOwns(p), p);
  }
});

Deno.test("the dashboard is HTML with the CSP, no caching, and every asset by its hashed URL", async () => {
  const res = await web.request("/");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Content-Type"), "text/html; charset=UTF-8");
  assert.equal(res.headers.get("Content-Security-Policy"), CSP);
  assert.equal(res.headers.get("Cache-Control"), "no-store");
  assert.equal(res.headers.get("X-Frame-Options"), "DENY");
  const html = await res.text();
  assert.match(html, /^<!doctype html><html lang="en">/);
  for (const name of ["console.css", "console.js", "icons.svg", "favicon.svg"]) {
    assert.ok(html.includes(assets.url(name)), name);
  }
  assert.ok(!html.includes(assets.url("editor.js")), "the editor only where it is used");
  assert.ok(!/ style=/.test(html), "no inline style attribute");
  assert.ok(!/<script(?![^>]*\bsrc=)/.test(html), "no inline script");
  assert.match(html, /<a href="\/" aria-current="page">/);
  assert.match(html, /href="\/v1\/openapi.json"/);
});

Deno.test("pages are gzipped for a client that accepts it, with Vary", async () => {
  const res = await web.request("/style-guide", { headers: { "Accept-Encoding": "gzip, br" } });
  assert.equal(res.headers.get("Content-Encoding"), "gzip");
  assert.match(res.headers.get("Vary") ?? "", /Accept-Encoding/);
  const html = new TextDecoder().decode(gunzipSync(new Uint8Array(await res.arrayBuffer())));
  assert.match(html, /<h1>Style guide<\/h1>/);
});

Deno.test("assets are immutable, compressed once, and unknown ones are 404", async () => {
  const url = assets.url("console.js");
  const res = await web.request(url, { headers: { "Accept-Encoding": "br" } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("Cache-Control"), "public, max-age=31536000, immutable");
  assert.equal(res.headers.get("Content-Encoding"), "br");
  assert.equal(res.headers.get("Content-Security-Policy"), CSP);
  await res.body?.cancel();
  const head = await web.request(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  const gone = await web.request("/assets/console-000000000000.js");
  assert.equal(gone.status, 404);
  assert.equal(gone.headers.get("Cache-Control"), "no-store");
  await gone.body?.cancel();
});

Deno.test("an unknown path is an HTML 404 in the shell; a section not built yet says so", async () => {
  const res = await web.request("/no/such/page");
  assert.equal(res.status, 404);
  assert.match(await res.text(), /There is no page at this address/);
  const scripts = await web.request("/scripts/new");
  assert.equal(scripts.status, 404);
  const html = await scripts.text();
  assert.match(html, /Scripts is not in the console yet/);
  assert.match(html, /<a href="\/scripts" aria-current="page">/);
});

Deno.test("the style guide exists only with demo on, and escapes what it shows", async () => {
  const off = await plain.request("/style-guide");
  assert.equal(off.status, 404);
  await off.body?.cancel();
  const html = await (await web.request("/style-guide")).text();
  assert.ok(html.includes("Upload &lt;invoices&gt; &amp; &quot;reports&quot;"));
  assert.ok(!html.includes("<invoices>"));
  const editor = await (await web.request("/style-guide/editor")).text();
  assert.ok(editor.includes(assets.url("editor.js")));
  assert.ok(editor.includes(`data-script-api="${assets.url("script-api.json")}"`));
});

Deno.test("without assets a page is a 500 in one sentence, and the cause is logged", async () => {
  const broken = createConsole({ assets: () => Promise.reject(new Error("bundler down")) });
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    const res = await broken.request("/");
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "The console cannot show this page; see the service log");
    assert.match(errors.join("\n"), /bundler down/);
  } finally {
    console.error = orig;
  }
});

async function streamEvents(path: string, headers: Record<string, string> = {}) {
  const res = await web.request(path, { headers });
  assert.equal(res.headers.get("Content-Type"), "text/event-stream");
  const out = [];
  for await (const e of parseEvents(res.body!)) out.push(e);
  return out;
}

Deno.test("the demo log stream drops every N lines and resends the overlap after Last-Event-ID", async () => {
  const first = await streamEvents(
    "/style-guide/log-stream?lines=10&dropEvery=4&overlap=2&delayMs=0",
  );
  assert.deepEqual(first.map((e) => e.id), ["1", "2", "3", "4"]);
  const again = await streamEvents(
    "/style-guide/log-stream?lines=10&dropEvery=4&overlap=2&delayMs=0",
    {
      "Last-Event-ID": "4",
    },
  );
  assert.deepEqual(again.map((e) => e.id), ["3", "4", "5", "6"]);
  const last = await streamEvents("/style-guide/log-stream?lines=10&dropEvery=0&delayMs=0", {
    "Last-Event-ID": "8",
  });
  assert.deepEqual(last.map((e) => `${e.event}:${e.id ?? ""}`), ["log:9", "log:10", "end:"]);
  assert.deepEqual(JSON.parse(last[2]!.data), { status: "succeeded", exitCode: 0, error: null });
});
