import assert from "node:assert/strict";
import { EngineError } from "./errors.ts";
import { checkNodeId, nodeIdFor, nodeNameOfHost } from "./node_id.ts";

Deno.test("nodeIdFor(): the host name on SQLite; on PostgreSQL one name per data directory", async () => {
  const env = Deno.env.get("AFT_NODE");
  Deno.env.delete("AFT_NODE");
  try {
    const host = Deno.hostname();
    assert.equal(await nodeIdFor({ dataDir: "/srv/a", kind: "sqlite" }), host);
    const a = await nodeIdFor({ dataDir: "/srv/a", kind: "postgres" });
    const a2 = await nodeIdFor({ dataDir: "/srv/x/../a/", kind: "postgres" });
    const b = await nodeIdFor({ dataDir: "/srv/b", kind: "postgres" });
    assert.match(a, new RegExp(`^${host.replace(/[.]/g, "\\.")}-[0-9a-z]{4}$`));
    assert.equal(a, a2, "the same data directory gives the same name");
    assert.notEqual(a, b, "two data directories on one host give two names");
    assert.equal(await nodeIdFor({ dataDir: "/srv/a", kind: "postgres", given: "n1" }), "n1");
    Deno.env.set("AFT_NODE", "from-env");
    assert.equal(await nodeIdFor({ dataDir: "/srv/a", kind: "postgres" }), "from-env");
    assert.equal(await nodeIdFor({ dataDir: "/srv/a", kind: "sqlite", given: "flag" }), "flag");
  } finally {
    if (env === undefined) Deno.env.delete("AFT_NODE");
    else Deno.env.set("AFT_NODE", env);
  }
});

Deno.test("checkNodeId() refuses empty, spaced, quoted and overlong names", () => {
  assert.equal(checkNodeId(" node-1.example:44399 "), "node-1.example:44399");
  for (const bad of ["", "a b", `it's`, '"q"', "x".repeat(101), "a\u0007b", "../x/y"]) {
    assert.throws(() => checkNodeId(bad), (e) => e instanceof EngineError, bad);
  }
});

Deno.test("nodeNameOfHost() keeps an ASCII host name and replaces what a node name cannot hold", () => {
  assert.equal(nodeNameOfHost("build-01.example.com"), "build-01.example.com");
  assert.equal(nodeNameOfHost("büro_rechner"), "büro_rechner");
  assert.equal(nodeNameOfHost('my host/x"y'), "my-host-x-y");
  assert.equal(nodeNameOfHost("服务器 1"), "服务器-1");
  assert.equal(nodeNameOfHost("a".repeat(120)), "a".repeat(90));
  // The same name either way, for every ASCII character.
  for (let c = 0; c < 128; c++) {
    const host = `h${String.fromCharCode(c)}x`;
    assert.equal(nodeNameOfHost(host), host.replace(/[^\p{L}\p{N}._:@+-]/gu, "-"), `${c}`);
  }
});
