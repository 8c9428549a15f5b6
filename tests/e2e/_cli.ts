/**
 * Runs the real `aft` CLI as a subprocess: the compiled binary when `AFT_BIN` is set, else
 * `deno run main.ts` with the same flags as `deno task aft`.
 *
 * @module
 */

import { RUN_FLAGS } from "../../src/deno_flags.ts";

const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;
const CONFIG = new URL("deno.json", ROOT).pathname;

export interface AftResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AftOptions {
  /** Data directory, passed as `--data`. */
  data?: string;
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
}

/** The command line that starts `aft` (binary or `deno run`), without arguments. */
export function aftCommand(): string[] {
  const bin = Deno.env.get("AFT_BIN");
  if (bin) return [bin];
  return [Deno.execPath(), "run", ...RUN_FLAGS, "--config", CONFIG, MAIN];
}

/** Starts `aft` with `args` and returns the child for streaming tests. */
export function spawnAft(args: string[], opts: AftOptions = {}): Deno.ChildProcess {
  const [cmd, ...pre] = aftCommand();
  const data = opts.data ? ["--data", opts.data] : [];
  return new Deno.Command(cmd!, {
    args: [...pre, ...data, ...args],
    env: { NO_COLOR: "1", ...opts.env },
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs `aft` with `args` to completion. */
export async function runAft(args: string[], opts: AftOptions = {}): Promise<AftResult> {
  const child = spawnAft(args, opts);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A fresh temporary data directory; remove it with `Deno.remove(dir, { recursive: true })`. */
export async function tempDataDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "aft-test-" });
}

const dec = new TextDecoder();

/** A running `aft run -f FILE [args]` whose output is collected as it comes. */
export function spawnRun(data: string, file: string, args: string[] = []) {
  const child = spawnAft(["run", "-f", file, ...args], { data });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) out += dec.decode(c);
  };
  const done = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    get out() {
      return out;
    },
    /** Waits until the output matches `re`. */
    async until(re: RegExp, ms = 20_000) {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`Timed out waiting for ${re}; output:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async interrupt(): Promise<number> {
      return await this.signal("SIGINT");
    },
    /** Sends `sig` and waits for the exit; returns the exit code. */
    async signal(sig: Deno.Signal): Promise<number> {
      child.kill(sig);
      const status = await child.status;
      await done;
      return status.code;
    },
    async kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await done;
    },
  };
}
