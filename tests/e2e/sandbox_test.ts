/**
 * The script sandbox: a script cannot read files, open sockets, read the environment or run
 * programs by itself, whatever route it takes; runaway scripts are stopped without harming
 * the parent.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";

async function withData(
  fn: (data: string, dir: string) => Promise<void>,
  settings: [string, string][] = [],
) {
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

const FILE_MARK = "TOP-SECRET-CONTENT-5f1d";
const ENV_MARK = "ENV-MARK-a93c07";

/** A script that runs each attempt and logs "blocked NAME", or "RESULT NAME: value" if it got one. */
function attemptsScript(attempts: Record<string, string>): string {
  const lines = Object.entries(attempts).map(([name, expr]) =>
    `attempt(${JSON.stringify(name)}, function () { return ${expr}; });`
  );
  return `
function attempt(name, fn) {
  var report = function (ok, v) { Log.Info((ok ? "RESULT " + name + ": " + String(v).slice(0, 80) : "blocked " + name)); };
  try {
    var v = fn();
    if (v && typeof v.then === "function") v.then(function (x) { report(true, x); }, function () { report(false); });
    else report(true, v);
  } catch (e) { report(false); }
}
${lines.join("\n")}
`;
}

function assertNoLeak(out: string) {
  assert.doesNotMatch(out, new RegExp(FILE_MARK));
  assert.doesNotMatch(out, new RegExp(ENV_MARK));
  assert.doesNotMatch(out, /uid=\d+/);
}

Deno.test("a script cannot read files, open sockets, read the environment or run programs", async (t) => {
  await withData(async (data, dir) => {
    const secretFile = join(dir, "secret.txt");
    const f = JSON.stringify(secretFile);
    await Deno.writeTextFile(secretFile, FILE_MARK);
    let connections = 0;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepting = (async () => {
      for await (const conn of listener) {
        connections++;
        conn.close();
      }
    })();
    const port = (listener.addr as Deno.NetAddr).port;
    const env = { AFT_TEST_ENV_MARK: ENV_MARK };
    try {
      await t.step("synchronous routes are all blocked", async () => {
        const attempts: Record<string, string> = {
          "Deno global": `Deno.readTextFileSync(${f})`,
          "globalThis.Deno": `globalThis.Deno.readTextFileSync(${f})`,
          "self.Deno": `self.Deno.readTextFileSync(${f})`,
          "eval": `eval("Deno").readTextFileSync(${f})`,
          "indirect eval": `(0, eval)("Deno").readTextFileSync(${f})`,
          "Function": `Function("return Deno")().readTextFileSync(${f})`,
          "constructor chain":
            `({}).constructor.constructor("return this")().Deno.readTextFileSync(${f})`,
          "env": `Deno.env.get("AFT_TEST_ENV_MARK")`,
          "run a program": `new TextDecoder().decode(new Deno.Command("id").outputSync().stdout)`,
          "connect": `Deno.connect({ hostname: "127.0.0.1", port: ${port} })`,
          "fetch": `fetch("http://127.0.0.1:${port}/")`,
          "WebSocket": `new WebSocket("ws://127.0.0.1:${port}/")`,
          "Worker": `new Worker("data:text/javascript,1", { type: "module" })`,
          "postMessage": `postMessage({ t: "call", seq: 99, method: "secret", args: ["x"] })`,
        };
        const path = join(dir, "sync.syncjs");
        await Deno.writeTextFile(path, attemptsScript(attempts));
        const r = await runAft(["run", "-f", path], { data, env });
        const out = r.stdout + r.stderr;
        assertNoLeak(out);
        for (const name of Object.keys(attempts)) {
          assert.match(
            out,
            new RegExp(`blocked ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n`),
            `${name}: ${out}`,
          );
        }
      });
      const asyncAttempts: Record<string, string> = {
        "import() of a file": `import("file://${secretFile}")`,
        "import() of node:fs":
          `import("node:fs").then(function (m) { return m.readFileSync(${f}, "utf8"); })`,
        "import() of node:child_process":
          `import("node:child_process").then(function (m) { return String(m.execSync("id")); })`,
        "import() of node:process":
          `import("node:process").then(function (m) { return m.default.env.AFT_TEST_ENV_MARK; })`,
        "data: module":
          `import("data:text/javascript,export default globalThis.Deno.readTextFileSync(${
            encodeURIComponent(f)
          })").then(function (m) { return m.default; })`,
      };
      for (const [name, expr] of Object.entries(asyncAttempts)) {
        await t.step(`${name} is blocked`, async () => {
          const path = join(dir, "async.syncjs");
          await Deno.writeTextFile(path, attemptsScript({ [name]: expr }));
          const r = await runAft(["run", "-f", path], { data, env });
          const out = r.stdout + r.stderr;
          assertNoLeak(out);
          assert.doesNotMatch(out, /RESULT/, out);
          // Either the script saw the rejection, or the failure escaped as an uncaught error.
          assert.ok(out.includes(`blocked ${name}`) || /Uncaught/.test(out), out);
        });
      }
    } finally {
      listener.close();
      await accepting.catch(() => {});
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
    r = await runAft([
      "vfs",
      "add",
      "remote",
      "--type",
      "sftp",
      "--target",
      "sftp://u@127.0.0.1:2222/",
      "--opt",
      `pass=${pass}`,
    ], { data });
    assert.equal(r.code, 0, r.stderr);
    const f = join(dir, "s.syncjs");
    await Deno.writeTextFile(
      f,
      'var t = GetSecret("api-token"); Log.Info("token is " + t + " and again " + t);',
    );
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

Deno.test("a script that reaches the Worker's own global finds no process and a console that says nothing (in a runner process it hung the job)", async () => {
  await withData(async (data, dir) => {
    await Deno.writeTextFile(join(dir, "secret.txt"), "hunter2-very-secret-value");
    assert.equal(
      (await runAft(["secret", "set", "pw", "--from-file", join(dir, "secret.txt")], { data }))
        .code,
      0,
    );
    const f = join(dir, "realm.syncjs");
    await Deno.writeTextFile(
      f,
      `Log.Info("before");
var G = Log.constructor("return this")();
G.console.log("worker console: " + GetSecret("pw"));
G.console.error("worker console: " + GetSecret("pw"));
Log.Info("process: " + typeof G.process);
Log.Info("after " + GetSecret("pw"));`,
    );
    for (const env of [{}, { AFT_RUNNER_PROCESS: "1" }] as Record<string, string>[]) {
      const r = await runAft(["run", "-f", f], { data, env });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /before[\s\S]*process: undefined[\s\S]*after \*\*\*/);
      assert.doesNotMatch(r.stdout + r.stderr, /worker console|hunter2/);
    }
  });
});
