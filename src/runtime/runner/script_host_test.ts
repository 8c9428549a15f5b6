/**
 * The script host with a real Worker (no runner process): how a script's end, errors and log
 * lines reach the runner.
 */

import assert from "node:assert/strict";
import { startScript } from "./script_host.ts";
import { runSource } from "./_test_script.ts";

Deno.test("a script that does not compile ends with file:line:column and its line with a caret", async () => {
  const end = await runSource('var x = 1;\nLog.Info("a" + (x, 2);\nvar y;\n', {
    fileName: "broken.syncjs",
  });
  assert.equal(end.code, 1);
  assert.equal(
    end.error,
    [
      "Uncaught SyntaxError: missing ) after argument list at broken.syncjs:2:22",
      '  2 | Log.Info("a" + (x, 2);',
      "    |                      ^",
    ].join("\n"),
  );
});

Deno.test("a syntax error of a job that may not quote its source gives the position only", async () => {
  const end = await runSource("var ok = 1;\nvar secret = root:x:0:0;\n", {
    fileName: "/etc/x.syncjs",
    quoteSource: false,
  });
  assert.equal(end.code, 1);
  assert.equal(end.error, "Uncaught SyntaxError: Unexpected token at /etc/x.syncjs:2:18");
});

Deno.test("a SyntaxError the script throws while running keeps its stack, not a compile position", async () => {
  const end = await runSource('Log.Info("start");\nJSON.parse("{");\n');
  assert.equal(end.code, 1);
  assert.match(end.error ?? "", /^Uncaught SyntaxError: .*JSON/);
  assert.match(end.error ?? "", /\n {4}at t\.syncjs:2:6/);
  assert.deepEqual(end.logs, [{ level: "info", text: "start" }]);
});

Deno.test("Log waits while the runner has not passed its lines on, so a flood is never queued without bound", async () => {
  const received: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => release = r);
  const script = startScript({
    jobId: "t2",
    scriptName: "t",
    source: 'for (var i = 0; i < 5000; i++) Log.Info("l" + i);',
    fileName: "t.syncjs",
    params: {},
    quoteSource: true,
    limits: { localRoots: [] },
  }, {
    request: () => Promise.resolve(null),
    // The parent's pipe is "behind" until the gate opens.
    log: (_level, text) => {
      received.push(text);
      return gate;
    },
    progress() {},
  });
  while (received.length < 256) await new Promise((r) => setTimeout(r, 20));
  // Give a worker without back-pressure every chance to send more.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(received.length, 256);
  release();
  const end = await script.done;
  assert.equal(end.code, 0, end.error);
  assert.equal(received.length, 5000);
  received.forEach((t, i) => assert.equal(t, `l${i}`));
});

Deno.test("the Worker cuts long lines and drops lines over the job's log limit, reporting what it dropped", async () => {
  const lines: string[] = [];
  const cuts: (number | undefined)[] = [];
  const dropped: { lines: number; bytes: number }[] = [];
  const script = startScript({
    jobId: "t3",
    scriptName: "t",
    source: 'Log.Info("z".repeat(5000));\nfor (var i = 0; i < 1000; i++) Log.Info("n" + i);',
    fileName: "t.syncjs",
    params: {},
    quoteSource: true,
    limits: { localRoots: [], log: { maxLineBytes: 1024, maxBytes: 4096 } },
  }, {
    request: () => Promise.resolve(null),
    log: (_level, text, cutFrom) => {
      lines.push(text);
      cuts.push(cutFrom);
    },
    logDropped: (d) => void dropped.push(d),
    progress() {},
  });
  const end = await script.done;
  assert.equal(end.code, 0, end.error);
  // A cut line comes as its start alone, with its full size: the parent adds the note.
  assert.equal(new TextEncoder().encode(lines[0]!).length <= 1024, true);
  assert.match(lines[0]!, /^z+$/);
  assert.equal(cuts[0], 5000);
  assert.equal(cuts[1], undefined);
  const kept = lines.length - 1;
  assert.ok(kept > 50 && kept < 200, `${kept}`);
  const last = dropped.at(-1)!;
  assert.equal(kept + last.lines, 1000);
  let bytes = 0;
  for (let i = kept; i < 1000; i++) bytes += `n${i}`.length;
  assert.equal(last.bytes, bytes);
});

Deno.test("a VirtualFS method called with arguments of the wrong type names itself and the argument", async () => {
  const src = [
    'var v = new VirtualFS(VfsTypeMemory, "args-" + JobID());',
    "function tryIt(f) { try { f(); } catch (e) { Log.Info(e.message); } }",
    "tryIt(function () { v.ListFiles(42, '*'); });",
    "tryIt(function () { v.Stat(); });",
    "tryIt(function () { v.Rename('/a', {}); });",
    "tryIt(function () { v.CopyToVFS('/a', v, null); });",
    "tryIt(function () { v.CopyToVFS('/a', '/b', '/c'); });",
    "tryIt(function () { v.WriteFileAsBytes('/a', 'text'); });",
    "tryIt(function () { v.Truncate('/a', -1); });",
    "tryIt(function () { var s = v.Stat; s('/'); });",
  ].join("\n");
  const end = await runSource(src);
  assert.equal(end.code, 0, end.error);
  assert.deepEqual(end.logs.map((l) => l.text), [
    "VirtualFS.ListFiles: the first argument must be a path (text), not a number",
    "VirtualFS.Stat: the first argument must be a path (text), not undefined",
    "VirtualFS.Rename: the second argument must be a target path (text), not an object",
    "VirtualFS.CopyToVFS: the third argument must be a destination folder (text), not null",
    "VirtualFS.CopyToVFS: the second argument (the destination) must be a VirtualFS object",
    "VirtualFS.WriteFileAsBytes: the second argument must be bytes (a Uint8Array), not a string",
    "VirtualFS.Truncate: the second argument (size) must be a whole number",
    "VirtualFS.Stat: this must be a VirtualFS object",
  ]);
});

Deno.test("HttpCli().Do() without a method throws, naming what it takes, and sends nothing", async () => {
  const src = [
    "function tryIt(f) {",
    "  try { var r = f(); Log.Info('sent: ' + r.ErrorMsg()); } catch (e) { Log.Info(e.message); }",
    "}",
    "tryIt(function () { return HttpCli().Url('http://127.0.0.1:1/').Do(); });",
    "tryIt(function () { return HttpCli().Url('http://127.0.0.1:1/').Do(''); });",
    "tryIt(function () { return HttpCli().Url('http://127.0.0.1:1/').Do(42); });",
  ].join("\n");
  const end = await runSource(src);
  assert.equal(end.code, 0, end.error);
  const takes = 'HttpCli.Do: the first argument must be an HTTP method (text, e.g. "GET"), not';
  assert.deepEqual(end.logs.map((l) => l.text), [
    `${takes} undefined`,
    `${takes} ""`,
    `${takes} 42`,
  ]);
});

Deno.test("a promise the script rejects and leaves unhandled fails the run with its message and frames, after the lines before it", async () => {
  const end = await runSource(
    'Log.Info("a");\nPromise.reject(new Error("boom"));\nLog.Info("b");\n',
    { fileName: "ua.syncjs" },
  );
  assert.equal(end.code, 1);
  assert.equal(end.error, "Uncaught (in promise) Error: boom\n    at ua.syncjs:2:16");
  assert.deepEqual(end.logs.map((l) => l.text), ["a", "b"]);
  // One that is handled later in the run is no failure.
  const handled = await runSource(
    'var p = Promise.reject(new Error("x"));\np.catch(function () { Log.Info("caught"); });\n',
  );
  assert.equal(handled.code, 0, handled.error);
  assert.deepEqual(handled.logs.map((l) => l.text), ["caught"]);
});

Deno.test("a thrown or rejected value without a text form still ends the run, failed, saying what it can (it hung until halted)", async () => {
  const cases: [string, string][] = [
    ["throw Object.create(null);", "Uncaught [object Object]"],
    ["Promise.reject(Object.create(null));", "Uncaught (in promise) [object Object]"],
    [
      'Promise.reject({ toString: function () { throw new Error("x"); } });',
      "Uncaught (in promise) [object Object]",
    ],
  ];
  for (const [source, error] of cases) {
    const end = await runSource(source);
    assert.equal(end.code, 1, source);
    assert.equal(end.error, error, source);
  }
});

Deno.test("an exception thrown in a timer's callback fails the run with its message and frame", async () => {
  const end = await runSource(
    'setTimeout(function () { throw new Error("in timer"); }, 10);\nSleep(300);\nLog.Info("after");\n',
    { fileName: "tm.syncjs" },
  );
  assert.equal(end.code, 1);
  assert.equal(end.error, "Uncaught Error: in timer\n    at tm.syncjs:1:32");
  assert.deepEqual(end.logs.map((l) => l.text), ["after"]);
});
