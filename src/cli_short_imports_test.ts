/**
 * What `aft run` and `aft start` load: the modules of `aft run`'s path (each root below is
 * imported, statically or by a dynamic import, when a one-line script runs) reach no Node
 * module but node:sqlite and no npm package; `aft start`'s, none at all. Any other node: module loads Deno's Node layer (about 23 ms of CPU, on the
 * command's critical path); npm packages cost more. The same holds for the modules a script's
 * first VFS call loads, as long as it uses local disk only: a network backend's client library
 * loads the Node layer anyway, when that backend is first opened.
 */

import assert from "node:assert/strict";
import { RUN_FLAGS } from "./deno_flags.ts";

const ROOT = new URL("../", import.meta.url);

/** The modules `aft run` imports as it runs a script that only logs. */
const RUN_PATH = [
  "main.ts",
  "src/cli_short.ts",
  "src/engine/data_dir.ts",
  "src/engine/service_file.ts",
  "src/runtime/runner/worker_pool.ts",
  "src/commands/run.ts",
  "src/engine/engine.ts",
  "src/engine/execute.ts",
  "src/runtime/runner/in_process.ts",
];

/** The modules a script's first VFS call imports (`src/runtime/runner/host/mod.ts`). */
const VFS_PATH = [
  "src/runtime/runner/host/vfs.ts",
  "src/runtime/runner/host/watch.ts",
  "src/runtime/runner/host/vfs_ops.ts",
];

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** Every module `root` reaches by static imports (type-only ones aside), from `deno info`. */
async function staticGraph(root: string): Promise<Set<string>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, root],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
  };
  const mods = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const visit = (spec: string) => {
    if (seen.has(spec)) return;
    seen.add(spec);
    for (const d of mods.get(spec)?.dependencies ?? []) {
      if (d.code && !d.isDynamic) visit(d.code.specifier);
    }
  };
  visit(info.roots[0]!);
  return seen;
}

Deno.test("aft run's modules import no Node module but node:sqlite, and no npm package", async () => {
  const outside = new Set<string>();
  for (const root of RUN_PATH) {
    for (const spec of await staticGraph(new URL(root, ROOT).pathname)) {
      if (!spec.startsWith("file:")) outside.add(spec);
    }
  }
  assert.deepEqual([...outside].sort(), ["node:sqlite"]);
});

Deno.test("aft start's modules import no Node module and no npm package", async () => {
  // Before, its command line came through commander (86 to 91 ms in `aft start --timings`,
  // the first npm import) and start.ts loaded node:path and the engine's re-exports.
  // Node's TLS layer is loaded when the first connection is made.
  const outside = new Set<string>();
  for (const root of ["main.ts", "src/cli_short.ts", "src/commands/start.ts"]) {
    for (const spec of await staticGraph(new URL(root, ROOT).pathname)) {
      if (!spec.startsWith("file:")) outside.add(spec);
    }
  }
  assert.deepEqual([...outside].sort(), []);
});

Deno.test("a script's VFS calls on local disk import no Node module and no npm package", async () => {
  // Before, node:path here and node:crypto in the disk backend cost a local copy job about
  // 20 ms of its 0.12 to 0.14 s (twelve alternating runs, 2026-12-03).
  const loaded = new Set<string>();
  for (const root of VFS_PATH) {
    for (const spec of await staticGraph(new URL(root, ROOT).pathname)) loaded.add(spec);
  }
  assert.ok(loaded.has(new URL("src/vfs/disk/disk.ts", ROOT).href), "the disk backend is loaded");
  assert.deepEqual([...loaded].filter((spec) => !spec.startsWith("file:")).sort(), []);
});

Deno.test("aft run's modules leave out what a job run here does not use", async () => {
  const loaded = new Set<string>();
  for (const root of RUN_PATH) {
    for (const spec of await staticGraph(new URL(root, ROOT).pathname)) loaded.add(spec);
  }
  // The REST client (a service takes the job), sign-ins, API keys, schedules, backups, the
  // VFS Library's and the files' operations, secrets, settings, nodes.
  const unused = [
    "src/client/http.ts",
    "src/client/service.ts",
    "src/engine/admins.ts",
    "src/engine/sessions.ts",
    "src/engine/setup.ts",
    "src/engine/passwords.ts",
    "src/engine/totp.ts",
    "src/engine/apikeys.ts",
    "src/engine/schedule_ops.ts",
    "src/engine/cron_words.ts",
    "src/engine/maintenance_ops.ts",
    "src/engine/backup.ts",
    "src/engine/vfs_ops.ts",
    "src/engine/vfs_files.ts",
    "src/engine/secret_ops.ts",
    "src/engine/settings_ops.ts",
    "src/engine/node_ops.ts",
    "src/vfs/temp_name.ts",
    "src/sha256.ts",
  ];
  assert.deepEqual(unused.filter((m) => loaded.has(new URL(m, ROOT).href)), []);
});

Deno.test("aft run of a one-line script uses no Node timer on its main thread", async () => {
  // Deno 2.9's global timers are Node's: the first use loads Node's layer (see timers.ts).
  const dir = await Deno.makeTempDir({ prefix: "aft-run-timers-" });
  try {
    const trap = `${dir}/trap.js`;
    await Deno.writeTextFile(
      trap,
      `for (const n of ["setTimeout", "setInterval", "clearTimeout", "clearInterval"]) {
        const d = Object.getOwnPropertyDescriptor(globalThis, n);
        Object.defineProperty(globalThis, n, {
          configurable: true,
          get() {
            console.error("node timer used: " + n + " " + new Error().stack.split("\\n")[2]);
            return d.get ? d.get.call(globalThis) : d.value;
          },
        });
      }`,
    );
    const script = `${dir}/hello.syncjs`;
    await Deno.writeTextFile(script, 'Log.Info("hello");\n');
    const aft = (args: string[], preload: string[] = []) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...RUN_FLAGS,
          ...preload,
          "--config",
          new URL("deno.json", ROOT).pathname,
          new URL("main.ts", ROOT).pathname,
          "--data",
          `${dir}/data`,
          ...args,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
    assert.ok((await aft(["settings", "set", "allowCliRun", "true"])).success);
    const out = await aft(["run", "-f", script], ["--preload", trap]);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.match(new TextDecoder().decode(out.stdout), /INFO +hello/);
    assert.equal(stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
