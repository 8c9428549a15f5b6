/**
 * Shared set-up of the scenario example tests: a fresh data directory with `allowCliRun` on, a
 * scratch folder, and short forms of the `aft` commands the examples' users would type.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type AftResult, runAft, spawnRun, tempDataDir } from "./_cli.ts";

/** The path of `examples/NAME.syncjs`. */
export function example(name: string): string {
  return new URL(`../../examples/${name}.syncjs`, import.meta.url).pathname;
}

/** The servers are installed by .ci/run on Linux (and need root for their throw-away users). */
export const needsServers = Deno.build.os !== "linux" || Deno.uid() !== 0;

export interface ExampleEnv {
  data: string;
  /** A scratch folder of the test's own. */
  dir: string;
  /** Runs `aft ARGS` and asserts it exits 0. */
  ok(args: string[]): Promise<AftResult>;
  addVfs(name: string, type: string, target: string, opts?: Record<string, string>): Promise<void>;
  secret(name: string, value: string): Promise<void>;
  setting(key: string, value: string): Promise<void>;
  /** `aft run -f examples/NAME.syncjs -p PARAMS`, to completion. */
  run(name: string, params: Record<string, string>): Promise<AftResult>;
  /** The same, running in the background (watchers). */
  spawn(name: string, params: Record<string, string>): ReturnType<typeof spawnRun>;
  /** Makes `dir/rel` (and its folders) and returns its path. */
  mkdir(rel: string): Promise<string>;
}

export async function withExampleEnv(fn: (env: ExampleEnv) => Promise<void>): Promise<void> {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-example-" });
  const ok = async (args: string[]) => {
    const r = await runAft(args, { data });
    assert.equal(r.code, 0, `aft ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
    return r;
  };
  const env: ExampleEnv = {
    data,
    dir,
    ok,
    async addVfs(name, type, target, opts = {}) {
      const o = Object.entries(opts).flatMap(([k, v]) => ["--opt", `${k}=${v}`]);
      await ok(["vfs", "add", name, "--type", type, "--target", target, ...o]);
    },
    async secret(name, value) {
      await ok(["secret", "set", name, value]);
    },
    async setting(key, value) {
      await ok(["settings", "set", key, value]);
    },
    run: (name, params) =>
      runAft(["run", "-f", example(name), "-p", JSON.stringify(params)], { data }),
    spawn: (name, params) => spawnRun(data, example(name), ["-p", JSON.stringify(params)]),
    async mkdir(rel) {
      const p = join(dir, rel);
      await Deno.mkdir(p, { recursive: true });
      return p;
    },
  };
  try {
    await env.setting("allowCliRun", "true");
    await fn(env);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

/** An HTTP server on 127.0.0.1 that records what it is sent and answers with `reply`. */
export function httpReceiver(reply: (req: Request) => Response = () => new Response("ok")) {
  const received: { method: string; path: string; body: string; headers: Headers }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push({
      method: req.method,
      path: new URL(req.url).pathname,
      body: await req.text(),
      headers: req.headers,
    });
    return reply(req);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    received,
    close: () => server.shutdown(),
  };
}

/** Waits until `check()` is true (polling), failing with `what` after `ms`. */
export async function eventually(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) {
      throw new Error(`Timed out waiting: ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The file's text, or `undefined` when it is not there. */
export async function textOf(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** Whether `cmd` can be run here (e.g. `gpg`, installed by .ci/run on Linux). */
export function hasCommand(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
