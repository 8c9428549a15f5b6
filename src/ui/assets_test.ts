import assert from "node:assert/strict";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import {
  assetResponse,
  AssetSet,
  contentType,
  makeAsset,
  pickEncoding,
  readAssets,
  writeAssets,
} from "./assets.ts";

const enc = new TextEncoder();
const text = enc.encode("body { color: red; }\n".repeat(200));

Deno.test("makeAsset() names the file by its content and keeps compressed forms that decode to it", async () => {
  const a = await makeAsset("console.css", text);
  assert.match(a.file, /^console-[0-9a-f]{12}\.css$/);
  assert.equal((await makeAsset("console.css", text)).file, a.file, "same content, same name");
  const b = await makeAsset("console.css", enc.encode("body{}"));
  assert.notEqual(b.file, a.file, "another content, another name");
  assert.equal(a.type, "text/css; charset=utf-8");
  assert.deepEqual(new Uint8Array(gunzipSync(a.gzip!)), text);
  assert.deepEqual(new Uint8Array(brotliDecompressSync(a.br!)), text);
  assert.ok(a.br!.length < text.length / 10);
});

Deno.test("makeAsset() keeps no compressed form that is not smaller", async () => {
  const random = crypto.getRandomValues(new Uint8Array(2000));
  const a = await makeAsset("data.json", random);
  assert.equal(a.gzip, undefined);
  assert.equal(a.br, undefined);
});

Deno.test("pickEncoding() prefers brotli, honours q=0 and *, and falls back to identity", async () => {
  const a = await makeAsset("console.js", text);
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined],
    ["", undefined],
    ["gzip, deflate, br, zstd", "br"],
    ["gzip", "gzip"],
    ["br;q=0, gzip", "gzip"],
    ["BR;q=0.5", "br"],
    ["*", "br"],
    ["*;q=0, gzip;q=0.1", "gzip"],
    ["identity", undefined],
    ["gzip;q=0, br;q=0", undefined],
    ["gzip;q=nonsense", undefined],
  ];
  for (const [accept, want] of cases) assert.equal(pickEncoding(accept, a), want, String(accept));
});

Deno.test("assetResponse() caches for a year, varies on Accept-Encoding, and answers HEAD without a body", async () => {
  const a = await makeAsset("console.js", text);
  const res = assetResponse(
    a,
    new Request("https://x/", { headers: { "Accept-Encoding": "gzip" } }),
  );
  assert.equal(res.headers.get("Cache-Control"), "public, max-age=31536000, immutable");
  assert.equal(res.headers.get("Vary"), "Accept-Encoding");
  assert.equal(res.headers.get("Content-Encoding"), "gzip");
  assert.equal(res.headers.get("Content-Type"), "text/javascript; charset=utf-8");
  const body = new Uint8Array(await res.arrayBuffer());
  assert.equal(Number(res.headers.get("Content-Length")), body.length);
  assert.deepEqual(new Uint8Array(gunzipSync(body)), text);
  const plain = assetResponse(a, new Request("https://x/"));
  assert.equal(plain.headers.get("Content-Encoding"), null);
  assert.deepEqual(new Uint8Array(await plain.arrayBuffer()), text);
  const head = assetResponse(a, new Request("https://x/", { method: "HEAD" }));
  assert.equal(head.body, null);
  assert.equal(Number(head.headers.get("Content-Length")), text.length);
});

Deno.test("writeAssets() and readAssets() round-trip a set; a missing folder is named", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const set = new AssetSet([
      await makeAsset("console.css", text),
      await makeAsset("favicon.svg", enc.encode("<svg/>")),
    ]);
    await writeAssets(join(dir, "out"), set);
    const back = await readAssets(join(dir, "out"));
    assert.equal(back.url("console.css"), set.url("console.css"));
    const a = back.byFile(set.url("console.css").slice("/assets/".length))!;
    assert.deepEqual(a.body, text);
    assert.deepEqual(new Uint8Array(brotliDecompressSync(a.br!)), text);
    assert.equal(back.byFile(set.url("favicon.svg").slice(8))!.gzip, undefined);
    await assert.rejects(
      readAssets(join(dir, "nothing")),
      /Cannot read the console's assets in ".*nothing": /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AssetSet.url() refuses a name the set lacks", () => {
  assert.throws(() => new AssetSet([]).url("nope.js"), /No console asset named "nope.js"/);
  assert.equal(contentType("a.weird"), "application/octet-stream");
});
