/**
 * Following a job's log from the CLI (`aft start --wait`; `aft run` handed to a service uses
 * the same code): over one live stream, not by polling; a stream cut on its way (a proxy, the
 * network) is taken up again from the last line, each line printed once; a key revoked while
 * its job is followed ends the following with the service's reason.
 *
 * The CLI reaches the service through a TCP relay on loopback that counts connections and can
 * cut one: the bytes are the service's own TLS, passed on untouched.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, spawnAft, tempDataDir } from "./_cli.ts";
import { startService, stopClean } from "./_service.ts";

/** A TCP relay to `target`; `cut(n, ms)` closes the n-th connection ms after it opened. */
class Relay {
  readonly #listener: Deno.Listener<Deno.TcpConn, Deno.NetAddr>;
  readonly #target: number;
  readonly #cuts = new Map<number, number>();
  readonly #conns = new Set<Deno.Conn>();
  connections = 0;

  constructor(target: number) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accept();
  }

  get host(): string {
    return `127.0.0.1:${this.#listener.addr.port}`;
  }

  cut(n: number, ms: number): void {
    this.#cuts.set(n, ms);
  }

  async #accept(): Promise<void> {
    for await (const client of this.#listener) {
      const n = ++this.connections;
      const server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
      this.#conns.add(client).add(server);
      const close = () => {
        for (const c of [client, server]) {
          try {
            c.close();
          } catch { /* closed */ }
          this.#conns.delete(c);
        }
      };
      const cutAfter = this.#cuts.get(n);
      if (cutAfter !== undefined) setTimeout(close, cutAfter);
      const pipe = (from: Deno.Conn, to: Deno.Conn) =>
        from.readable.pipeTo(to.writable).catch(() => {}).finally(close);
      pipe(client, server);
      pipe(server, client);
    }
  }

  close(): void {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
}

interface Ctx {
  data: string;
  dir: string;
  env: Record<string, string>;
  key: string;
  port: number;
}

async function withService(fn: (ctx: Ctx) => Promise<void>): Promise<void> {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-follow-" });
  const env = { AFT_CONFIG_DIR: join(dir, "config") };
  try {
    const key = (await ok(["apikey", "create", "follower"], { data, env })).trim();
    const svc = await startService(data, { env });
    try {
      await fn({ data, dir, env, key, port: svc.port });
    } finally {
      await stopClean(svc);
    }
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

async function ok(args: string[], opts: { data: string; env: Record<string, string> }) {
  const r = await runAft(args, opts);
  assert.equal(r.code, 0, `aft ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function addScript(ctx: Ctx, name: string, source: string): Promise<void> {
  const f = join(ctx.dir, `${name}.syncjs`);
  await Deno.writeTextFile(f, source);
  await ok(["script", "add", name, "-f", f], ctx);
}

/** The log lines `aft start --wait` printed, without their time stamps. */
const texts = (stdout: string) =>
  stdout.split("\n").filter((l) => l !== "").map((l) => l.replace(/^\S+\s+/, ""));

const SLOW = [
  'Log.Info("one");',
  "Sleep(1500);",
  'Log.Info("two");',
  'Log.Info("three");',
  "Sleep(1500);",
  'Log.Warn("four");',
  "Exit(3);",
].join("\n");

/** `aft start --wait` of SLOW printed each of its lines once, in order, and exited with 3. */
function assertWholeLog(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, 3, r.stderr);
  assert.deepEqual(texts(r.stdout), [
    "INFO  one",
    "INFO  two",
    "INFO  three",
    "WARN  four",
    "ERROR The script exited with code 3",
  ]);
}

Deno.test("aft start --wait follows the log over one stream; a cut stream resumes, each line once", async () => {
  await withService(async (ctx) => {
    await addScript(ctx, "slow", SLOW);
    const start = ["start", "-n", "slow", "-a", ctx.key, "--wait"];

    const relay = new Relay(ctx.port);
    try {
      const r = await runAft([...start, "--host", relay.host], ctx);
      assertWholeLog(r);
      // The scope probe, the job queued, its log followed to the end, the job read: four
      // connections for a job of 3 s (polling took one more every 0.1 to 1 s).
      assert.equal(relay.connections, 4, r.stderr);
    } finally {
      relay.close();
    }

    // With --ca-cert, Deno's own roots are tried first and fail: only on the first request
    // (the client starts the next ones with the roots that verified): 5 connections, not 8.
    const withCa = new Relay(ctx.port);
    try {
      const ca = ["--ca-cert", join(ctx.data, "tls", "ca.pem")];
      const r = await runAft([...start, ...ca, "--host", withCa.host], ctx);
      assertWholeLog(r);
      assert.equal(withCa.connections, 5, r.stderr);
    } finally {
      withCa.close();
    }

    // The stream (the third connection) cut 0.8 s in, after "one", before "two".
    const cutting = new Relay(ctx.port);
    cutting.cut(3, 800);
    try {
      const r = await runAft([...start, "--host", cutting.host], ctx);
      assertWholeLog(r);
      assert.equal(cutting.connections, 5, r.stderr);
    } finally {
      cutting.close();
    }
  });
});

Deno.test("aft start --wait stops following, saying why, when its key is revoked", async () => {
  await withService(async (ctx) => {
    await addScript(ctx, "long", 'Log.Info("started"); Sleep(30000); Log.Info("never seen");');
    const child = spawnAft(
      ["start", "-n", "long", "-a", ctx.key, "--wait", "--host", `127.0.0.1:${ctx.port}`],
      { data: ctx.data, env: ctx.env },
    );
    const out = child.output();
    // Revoked once the job runs (its first line is in the log).
    for (let i = 0; i < 200; i++) {
      if ((await ok(["jobs", "list"], ctx)).includes("running")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await ok(["apikey", "rm", "follower"], ctx);
    const r = await out;
    const stderr = new TextDecoder().decode(r.stderr);
    assert.notEqual(r.code, 0);
    assert.match(
      stderr,
      /Stopped following job \S+: The API key "follower" no longer gives access/,
    );
    assert.match(new TextDecoder().decode(r.stdout), /INFO {2}started/);
    // The job itself goes on: halt it so the service stops at once.
    const id = /job (\S+)/.exec(stderr)![1]!;
    await ok(["jobs", "halt", id], ctx);
  });
});
