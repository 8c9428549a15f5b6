/**
 * Shared set-up of the scenario example tests: a fresh data directory with `allowCliRun` on, a
 * scratch folder, and short forms of the `aft` commands the examples' users would type.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { type AftResult, runAft, spawnRun, tempDataDir } from "./_cli.ts";
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3Server } from "../fixtures/s3server.ts";
import type { SshServer } from "../fixtures/sshd.ts";
import type { FtpServer } from "../fixtures/vsftpd.ts";

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
  /** A library entry for the fixture's server, rooted at `dir` (an absolute server path). */
  addSftp(name: string, server: SshServer, dir: string): Promise<void>;
  addFtp(name: string, server: FtpServer, dir: string): Promise<void>;
  addS3(name: string, server: S3Server, bucket: string): Promise<void>;
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
      // Through standard input, as a key or a value starting with "-" must go.
      const r = await runAft(["secret", "set", name], { data, stdin: value });
      assert.equal(r.code, 0, `aft secret set ${name}:\n${r.stderr}`);
    },
    async addSftp(name, server, dir) {
      await env.addVfs(name, "sftp", `sftp://${server.user}@127.0.0.1:${server.port}${dir}`, {
        keyFile: server.keys.openssh,
        hostKeySHA256: server.hostKeySHA256,
      });
    },
    async addFtp(name, server, dir) {
      await env.addVfs(name, "ftp", `ftp://${server.user}@127.0.0.1:${server.port}${dir}`, {
        pass: server.pass,
      });
    },
    async addS3(name, server, bucket) {
      const q = `?endpoint=${encodeURIComponent(server.endpoint)}&region=${server.region}`;
      await env.addVfs(name, "s3", `s3://${bucket}/${q}`, {
        accessKeyId: server.accessKeyId,
        secretAccessKey: server.secretAccessKey,
      });
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

/** Makes `bucket` on the fixture's S3 server; puts, gets and lists keys with the AWS SDK. */
export async function s3Admin(server: S3Server, bucket: string) {
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    client,
    put: (key: string, body: Uint8Array | string) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    async get(key: string): Promise<Uint8Array> {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return await r.Body!.transformToByteArray();
    },
    async keys(): Promise<string[]> {
      const r = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (r.Contents ?? []).map((o) => o.Key!).sort();
    },
  };
}
