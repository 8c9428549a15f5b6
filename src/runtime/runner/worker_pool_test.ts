/**
 * Reuse of script Workers with real Workers: only for later runs of the same script, each run
 * in a fresh context, and never after a run that did not end cleanly.
 */

import assert from "node:assert/strict";
import type { JobSpec } from "../protocol/messages.ts";
import { startScript } from "./script_host.ts";
import { runSource as runScript } from "./_test_script.ts";
import { dropWorkers, idleWorkers } from "./worker_pool.ts";

/** Runs `source` to its end; the parent's answers: one VFS Library entry, nothing else. */
const runSource = (source: string, job: Partial<JobSpec> = {}) =>
  runScript(source, job, (req) => req.op === "vfsNames" ? ["inbox"] : null);

const reuse = (job: Partial<JobSpec> = {}): Partial<JobSpec> => ({
  limits: { localRoots: [], workerReuse: true },
  ...job,
});

/** Runs `fn` with no kept Workers before or after it. */
async function fresh(fn: () => Promise<void>): Promise<void> {
  dropWorkers();
  try {
    await fn();
  } finally {
    dropWorkers();
  }
}

Deno.test("a second run of the same script reuses the first run's Worker", () =>
  fresh(async () => {
    const src = 'Log.Info("hello " + Param("n"));';
    const a = await runSource(src, reuse({ params: { n: "1" } }));
    assert.deepEqual(a.logs.map((l) => l.text), ["hello 1"]);
    assert.deepEqual(idleWorkers(), [1]);
    const b = await runSource(src, reuse({ params: { n: "2" }, jobId: "t2" }));
    assert.equal(b.code, 0, b.error);
    assert.deepEqual(b.logs.map((l) => l.text), ["hello 2"]);
    assert.deepEqual(idleWorkers(), [2], "the same Worker served both runs");
  }));

Deno.test("runs of different scripts never share a Worker: other source, other name, other file", () =>
  fresh(async () => {
    await runSource("Log.Info(1);", reuse({ scriptName: "a", fileName: "a.syncjs" }));
    await runSource("Log.Info(2);", reuse({ scriptName: "a", fileName: "a.syncjs" }));
    await runSource("Log.Info(1);", reuse({ scriptName: "b", fileName: "a.syncjs" }));
    await runSource("Log.Info(1);", reuse({ scriptName: "a", fileName: "/srv/a.syncjs" }));
    assert.deepEqual(idleWorkers(), [1, 1, 1, 1]);
  }));

Deno.test("a global a run sets is not there in the next run of the same script", () =>
  fresh(async () => {
    const src = [
      'Log.Info("seen " + typeof leaked + " " + typeof globalThis.other + " " + typeof fn);',
      "var leaked = 1; globalThis.other = 2; function fn() {}",
      "Object.prototype.polluted = 3; JSON.parse = function () { return 'x'; };",
      'Log.Info("proto " + typeof ({}).polluted + " " + JSON.parse("[1]").length);',
    ].join("\n");
    const a = await runSource(src, reuse());
    assert.deepEqual(a.logs.map((l) => l.text), [
      "seen undefined undefined function",
      "proto number 1",
    ]);
    const b = await runSource(src, reuse());
    assert.deepEqual(b.logs.map((l) => l.text), [
      "seen undefined undefined function",
      "proto number 1",
    ]);
    assert.deepEqual(idleWorkers(), [2], "the same Worker served both runs");
  }));

Deno.test("a halted run's Worker is not kept, and the next run of the script gets a fresh one", () =>
  fresh(async () => {
    const src = 'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("halted");';
    await runSource('Log.Info("warm");', reuse());
    const logs: string[] = [];
    let ready!: () => void;
    const waiting = new Promise<void>((r) => ready = r);
    const script = startScript({
      jobId: "h1",
      scriptName: "t",
      source: src,
      fileName: "t.syncjs",
      params: {},
      quoteSource: true,
      limits: { localRoots: [], workerReuse: true },
    }, {
      request: () => Promise.resolve(null),
      log: (_level, text) => {
        logs.push(text);
        if (text === "waiting") ready();
      },
      progress() {},
    });
    await waiting;
    script.halt();
    const end = await script.done;
    assert.equal(end.code, 0, end.error);
    assert.deepEqual(logs, ["waiting", "halted"]);
    assert.deepEqual(idleWorkers(), [1], "only the other script's Worker is kept");
    const again = await runSource(src.replace("WaitForHaltSignal();", ""), reuse());
    assert.equal(again.code, 0);
    assert.deepEqual(idleWorkers(), [1, 1]);
  }));

Deno.test("a run that fails, exits non-zero or calls Exit leaves no Worker to reuse", () =>
  fresh(async () => {
    for (const src of ['throw new Error("no");', "Exit(3);", "Exit(0);", "var x = ;"]) {
      await runSource(src, reuse());
      await runSource(src, reuse());
      assert.deepEqual(idleWorkers(), [], src);
    }
  }));

Deno.test("with reuse off (setting scriptWorkerReuse false) no Worker is kept", () =>
  fresh(async () => {
    await runSource("Log.Info(1);", { limits: { localRoots: [], workerReuse: false } });
    assert.deepEqual(idleWorkers(), []);
  }));

Deno.test("in a reused Worker an error still names the script's own line and column", () =>
  fresh(async () => {
    const ok = await runSource("var a = 1;\nif (Param('fail')) {\n  null.x;\n}\n", reuse());
    assert.equal(ok.code, 0, ok.error);
    const end = await runSource(
      "var a = 1;\nif (Param('fail')) {\n  null.x;\n}\n",
      reuse({ params: { fail: "1" } }),
    );
    assert.equal(end.code, 1);
    assert.match(end.error ?? "", /^Uncaught TypeError: Cannot read properties of null/);
    assert.match(end.error ?? "", /\n {4}at t\.syncjs:3:8$/);
    assert.doesNotMatch(end.error ?? "", /null\.x/, "no quoted source line in the error");
    const syntax = await runSource("var ok = 1;\n\nvar x = (;\n", reuse());
    assert.match(
      syntax.error ?? "",
      /^Uncaught SyntaxError: Unexpected token '?;'? at t\.syncjs:3:10/,
    );
  }));

Deno.test("a run in a context has the web APIs, timers and the host's values as its own", () =>
  fresh(async () => {
    const src = [
      'var b = new TextEncoder().encode("hé");',
      'Log.Info(b.length, new TextDecoder().decode(b), typeof URL, typeof crypto.randomUUID(), atob(btoa("x")));',
      "Log.Info(typeof Deno, typeof fetch, typeof postMessage, typeof Worker, self === globalThis);",
      "Log.Info(JSON.stringify({ d: new Date(0) }), Sleep(5));",
      'setTimeout(function () { Log.Info("timer"); }, 1);',
      "Promise.resolve().then(function () { Log.Info('promise'); });",
      "try { GetSecret(1); } catch (e) { Log.Info(e.name, e instanceof TypeError); }",
      "try { VirtualFSByName('none'); } catch (e) { Log.Info(e instanceof Error); }",
      "Log.Info(VirtualFSNames() instanceof Array, VirtualFSNames()[0]);",
      "try { null.x } catch (e) { Log.Info(e instanceof TypeError); }",
    ].join("\n");
    const end = await runSource(src, reuse());
    assert.equal(end.code, 0, end.error);
    assert.deepEqual(end.logs.map((l) => l.text), [
      "3 hé function string x",
      "undefined undefined undefined undefined true",
      '{"d":"1970-01-01T00:00:00.000Z"} true',
      "TypeError true",
      "true",
      "true inbox",
      "true",
      "promise",
      "timer",
    ]);
  }));

Deno.test("the web APIs a context takes from its Worker on first use are the Worker's, hidden from for-in, and a run may replace them", () =>
  fresh(async () => {
    const src = [
      "var names = ['ReadableStream', 'Blob', 'Request', 'CompressionStream', 'Buffer', 'URLPattern'];",
      "var d = Object.getOwnPropertyDescriptor(globalThis, 'Headers');",
      "Log.Info(typeof d.get, d.enumerable, Object.keys(globalThis).indexOf('Blob'));",
      "Log.Info(names.map(function (n) { return typeof globalThis[n]; }).join(' '));",
      "var after = Object.getOwnPropertyDescriptor(globalThis, 'Blob');",
      "Log.Info(typeof after.get, after.writable, after.enumerable, after.configurable);",
      "Log.Info(new Blob(['ab']).size, new Response('x').status, new Headers({ a: '1' }).get('a'));",
      "Headers = 7; Log.Info(Headers, Object.getOwnPropertyDescriptor(globalThis, 'Headers').enumerable);",
      "var o = Object.create(globalThis); o.FormData = 1;",
      "Log.Info(o.FormData, typeof FormData, Object.keys(o).indexOf('FormData'));",
      "Log.Info(typeof WritableStreamDefaultWriter, 'TextEncoderStream' in globalThis);",
    ].join("\n");
    const end = await runSource(src, reuse());
    assert.equal(end.code, 0, end.error);
    // The next run of the same script, in the kept Worker, has them as the Worker has them.
    const next = await runSource(
      "Log.Info(typeof Headers, typeof Blob, typeof FormData);",
      reuse(),
    );
    assert.equal(next.code, 0, next.error);
    assert.deepEqual([...end.logs, ...next.logs].map((l) => l.text), [
      "function false -1",
      "function function function function function function",
      "undefined true false true",
      "2 200 1",
      "7 false",
      "1 function 0",
      "function true",
      "function function function",
    ]);
  }));

Deno.test("a reused Worker's next run starts with clear signals: a halt or wake after a run ended, and a large reply, do not reach it", () =>
  fresh(async () => {
    // A reply over the 1 MiB data area goes in chunks; the next run reads its own replies only.
    const big = "x".repeat(1536 * 1024);
    const src = [
      'var v = VirtualFSNames()[0]; Log.Info("len " + v.length + " halted " + HaltSignalReceived);',
      'Log.Info("waited " + Sleep(1));',
    ].join("\n");
    const job = (id: string) => ({
      jobId: id,
      scriptName: "t",
      source: src,
      fileName: "t.syncjs",
      params: {},
      quoteSource: true,
      limits: { localRoots: [], workerReuse: true },
    });
    const run = async (id: string, answer: string) => {
      const logs: string[] = [];
      const script = startScript(job(id), {
        request: () => Promise.resolve([answer]),
        log: (_level, text) => void logs.push(text),
        progress() {},
      });
      const end = await script.done;
      return { end, logs, script };
    };
    const a = await run("r1", big);
    assert.equal(a.end.code, 0, a.end.error);
    assert.deepEqual(a.logs, [`len ${big.length} halted false`, "waited true"]);
    // Too late for run 1: its Worker is kept already.
    a.script.halt();
    const b = await run("r2", "y");
    assert.equal(b.end.code, 0, b.end.error);
    assert.deepEqual(b.logs, ["len 1 halted false", "waited true"]);
    assert.deepEqual(idleWorkers(), [2], "the same Worker served both runs");
  }));
