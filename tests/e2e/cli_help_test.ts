import assert from "node:assert/strict";
import { runAft } from "./_cli.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("aft --version, -V and version print the same line and exit 0", async () => {
  const outs = [];
  for (const args of [["--version"], ["-V"], ["version"]]) {
    const r = await runAft(args);
    assert.equal(r.code, 0, r.stderr);
    outs.push(r.stdout.trim());
  }
  assert.match(outs[0]!, new RegExp(`^aft ${VERSION.replaceAll(".", "\\.")} \\(deno `));
  assert.deepEqual(new Set(outs).size, 1, outs.join(" | "));
});

Deno.test("aft --help lists every command on one line each; a bad option is a usage error", async () => {
  const r = await runAft(["--help"]);
  assert.equal(r.code, 0);
  const commands = r.stdout.slice(r.stdout.indexOf("Commands:")).split("\n").slice(1)
    .filter((l) => /^ {2}\S/.test(l));
  const names = commands.map((l) => l.trim().split(" ")[0]);
  for (
    const c of [
      "version",
      "serve",
      "start",
      "run",
      "settings",
      "script",
      "vfs",
      "secret",
      "jobs",
      "apikey",
      "schedule",
      "reinit",
      "types",
      "tls",
      "audit",
    ]
  ) {
    assert.ok(names.includes(c), `${c} in --help`);
  }
  // Every entry fits its line: no summary wraps onto a second one.
  const continuation = r.stdout.slice(r.stdout.indexOf("Commands:")).split("\n").slice(1)
    .filter((l) => /^ {3,}\S/.test(l));
  assert.deepEqual(continuation, []);
  const bad = await runAft(["run", "-f", "x.syncjs", "--nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option '--nope'[\s\S]*run with --help/);
  // `aft help X` for a command there is none of: a usage error, not the whole help and 0.
  const unknown = await runAft(["help", "nope"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim(), 'aft: Unknown command "nope": see aft --help');
  assert.equal((await runAft(["help", "vfs"])).code, 0);
});
