/**
 * The script sandbox: a script cannot read files, open sockets, read the environment or run
 * programs by itself, whatever route it takes; runaway scripts are stopped without harming
 * the parent.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";

async function withData(fn: (data: string, dir: string) => Promise<void>, settings: [string, string][] = []) {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-sbx-" });
  try {
    for (const [k, v] of [["allowCliRun", "true"], ...settings]) {
      const r = await runAft(["settings", "set", k!, v!], { data });
      assert.equal(r.code, 0, r.stderr);
    }
    await fn(data, dir);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a script cannot read files, open sockets, read the environment or run programs", async () => {
  await withData(async (data, dir) => {
    const secretFile = join(dir, "secret.txt");
    await Deno.writeTextFile(secretFile, "TOP-SECRET-CONTENT");
    let connections = 0;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepting = (async () => {
      for await (const conn of listener) {
        connections++;
        conn.close();
      }
    })();
    const port = (listener.addr as Deno.NetAddr).port;
    const attempts: Record<string, string> = {
      "Deno global": `Deno.readTextFileSync(${JSON.stringify(secretFile)})`,
      "globalThis.Deno": `globalThis.Deno.readTextFileSync(${JSON.stringify(secretFile)})`,
      "eval": `eval("Deno").readTextFileSync(${JSON.stringify(secretFile)})`,
      "indirect eval": `(0, eval)("Deno").readTextFileSync(${JSON.stringify(secretFile)})`,
      "Function": `Function("return Deno")().readTextFileSync(${JSON.stringify(secretFile)})`,
      "constructor chain": `({}).constructor.constructor("return this")().Deno.readTextFileSync(${
        JSON.stringify(secretFile)
      })`,
      "self": `self.Deno.readTextFileSync(${JSON.stringify(secretFile)})`,
      "env": `Deno.env.get("HOME")`,
      "run a program": `new Deno.Command("id").outputSync()`,
      "connect": `Deno.connect({ hostname: "127.0.0.1", port: ${port} })`,
      "fetch": `fetch("http://127.0.0.1:${port}/")`,
      "WebSocket": `new WebSocket("ws://127.0.0.1:${port}/")`,
      "Worker": `new Worker("data:text/javascript,1", { type: "module" })`,
      "postMessage": `postMessage({ t: "call", seq: 1, method: "secret", args: ["x"] })`,
      "dynamic import of a file": `import("file://${secretFile}")`,
      "dynamic import of node:fs": `import("node:fs").then(function (fs) { return fs.readFileSync(${
        JSON.stringify(secretFile)
      }, "utf8"); })`,
      "dynamic import of node:child_process": `import("node:child_process").then(function (cp) { return String(cp.execSync("id")); })`,
      "dynamic import of node:process env": `import("node:process").then(function (p) { return p.default.env.HOME; })`,
      "data: module reaching Deno": `import("data:text/javascript,export default globalThis.Deno.readTextFileSync(${
        encodeURIComponent(JSON.stringify(secretFile))
      })").then(function (m) { return m.default; })`,
    };
    const lines = Object.entries(attempts).map(([name, expr]) =>
      `attempt(${JSON.stringify(name)}, function () { return ${expr}; });`
    );
    const source = `
var pending = 0;
function report(name, ok, value) { Log.Info((ok ? "ESCAPED " : "blocked ") + name + (ok ? ": " + String(value).slice(0, 60) : "")); }
function attempt(name, fn) {
  try {
    var v = fn();
    if (v && typeof v.then === "function") {
      pending++;
      v.then(function (x) { report(name, true, x); }, function () { report(name, false); });
    } else { report(name, true, v); }
  } catch (e) { report(name, false); }
}
${lines.join("\n")}
// Let promise-based attempts settle (microtasks and host jobs) before the script ends.
var until = Date.now() + 1500;
while (Date.now() < until) { Sleep(50); }
`;
    const f = join(dir, "escape.syncjs");
    await Deno.writeTextFile(f, source);
    // Promise callbacks need the event loop; run them inside an async-friendly wrapper script.
    const r = await runAft(["run", "-f", f], { data });
    listener.close();
    await accepting.catch(() => {});
    const out = r.stdout + r.stderr;
    assert.doesNotMatch(out, /ESCAPED/, out);
    assert.doesNotMatch(out, /TOP-SECRET-CONTENT/);
    for (const name of Object.keys(attempts).filter((n) => !n.startsWith("dynamic") && !n.startsWith("data:") && n !== "fetch")) {
      assert.match(out, new RegExp(`blocked ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`), `no verdict for ${name}`);
    }
    assert.equal(connections, 0, "the script opened a socket");
  });
});

Deno.test("no secret value is stored in plain text anywhere under the data directory", async () => {
  await withData(async (data, dir) => {
    const value = "PLAIN-6d1f0c9e-secret-VALUE";
    const pass = "vfs-pass-8a7b6c5d4e";
    let r = await runAft(["secret", "set", "api-token", value], { data });
    assert.equal(r.code, 0, r.stderr);
    r = await runAft(["vfs", "add", "remote", "--type", "sftp", "--target", "sftp://u@127.0.0.1:2222/", "--opt", `pass=${pass}`], { data });
    assert.equal(r.code, 0, r.stderr);
    const f = join(dir, "s.syncjs");
    await Deno.writeTextFile(f, 'var t = GetSecret("api-token"); Log.Info("token is " + t + " and again " + t);');
    r = await runAft(["run", "-f", f], { data });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /token is \*\*\* and again \*\*\*/);
    const needles = [value, pass].map((s) => new TextEncoder().encode(s));
    for await (const path of walkFiles(data)) {
      const bytes = await Deno.readFile(path);
      for (const n of needles) assert.equal(indexOf(bytes, n), -1, `plain value found in ${path}`);
    }
  });
});

async function* walkFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* walkFiles(p);
    else if (e.isFile) yield p;
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
