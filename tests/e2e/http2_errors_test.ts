/**
 * Error responses reach curl intact over HTTP/2 (`curl -sk` negotiates it, as the seeds use
 * it): 400, 401, 403, 404, 405, 413 and 429, each 20 times, with the request body read by the
 * service or not, declared with a length or streamed. A response sent before the request body
 * was read is followed by RST_STREAM(NO_ERROR), which curl 7.88 (Debian 12) reports as "Stream
 * error in the HTTP/2 framing layer" instead of the response.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";
import { type RunningService, startService, stopClean } from "./_service.ts";

const ROUNDS = 20;

/** Whether this machine's curl speaks HTTP/2 (Windows' own curl.exe does not). */
async function curlHasHttp2(): Promise<boolean> {
  try {
    const out = await new Deno.Command("curl", { args: ["-V"], stdout: "piped" }).output();
    return /\bHTTP2\b/.test(new TextDecoder().decode(out.stdout));
  } catch {
    return false;
  }
}

interface Answer {
  /** curl's exit code: 0, or e.g. 92 for "Stream error in the HTTP/2 framing layer". */
  exit: number;
  status: number;
  version: string;
  body: string;
}

/** One `curl -sk --http2` request; `stdin` is piped as the body of `-T -` (no length). */
async function curl(args: string[], stdin?: Uint8Array): Promise<Answer> {
  const child = new Deno.Command("curl", {
    args: ["-sk", "--http2", "-w", "\n%{http_code} %{http_version}", ...args],
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) {
    const w = child.stdin.getWriter();
    await w.write(stdin).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout);
  const i = text.lastIndexOf("\n");
  const [status, version] = text.slice(i + 1).split(" ");
  return { exit: out.code, status: Number(status), version: version ?? "", body: text.slice(0, i) };
}

/** Answers that were not the intact error, by check: all are asserted at the end. */
const broken: Record<string, string[]> = {};

/** Sends `rounds` requests and records every answer that was not the intact error. */
async function expectIntact(
  what: string,
  status: number,
  code: string,
  send: () => Promise<Answer>,
  rounds = ROUNDS,
): Promise<void> {
  const bad: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const a = await send();
    let got = "";
    try {
      got = JSON.parse(a.body)?.error?.code ?? "";
    } catch { /* not JSON: counted below */ }
    if (a.exit !== 0 || a.status !== status || a.version !== "2" || got !== code) {
      bad.push(`#${i + 1}: curl exit ${a.exit}, HTTP/${a.version} ${a.status}, body ${a.body}`);
    }
  }
  if (bad.length > 0) broken[`${what}: ${bad.length} of ${rounds} not intact`] = bad;
}

Deno.test({
  name:
    "REST errors 400, 401, 403, 404, 405, 413 and 429 reach curl intact over HTTP/2, 20 times each",
  ignore: !(await curlHasHttp2()),
  fn: async () => {
    const data = await tempDataDir();
    const dir = await Deno.makeTempDir({ prefix: "aft-h2-" });
    let svc: RunningService | undefined;
    try {
      const key = (await runAft(["apikey", "create", "ci"], { data })).stdout.trim();
      const reader = (await runAft(["apikey", "create", "reader", "--scope", "jobs:read"], {
        data,
      })).stdout.trim();
      assert.ok(key && reader);
      const big = join(dir, "big.json");
      const bigBytes = new Uint8Array(5 * 1024 * 1024).fill(0x20);
      await Deno.writeFile(big, bigBytes);
      svc = await startService(data);
      const jobs = `https://127.0.0.1:${svc.port}/v1/jobs`;
      const post = (apiKey: string, body: string[], stdin?: Uint8Array) =>
        curl([
          "-X",
          "POST",
          jobs,
          "-H",
          `X-API-Key: ${apiKey}`,
          "-H",
          "Content-Type: application/json",
          ...body,
        ], stdin);
      const job = ["-d", '{"scriptName":"My Backup Job"}'];

      await expectIntact("400 malformed JSON", 400, "MALFORMED_JSON", () => post(key, ["-d", "{"]));
      await expectIntact("403 scope missing", 403, "MISSING_SCOPE", () => post(reader, job));
      await expectIntact("404 unknown script", 404, "SCRIPT_NOT_FOUND", () => post(key, job));
      await expectIntact(
        "404 unknown route, body unread",
        404,
        "NOT_FOUND",
        () => curl(["-X", "POST", `${jobs}/nowhere`, "-d", '{"a":1}']),
      );
      await expectIntact(
        "405 known route, other method, body unread",
        405,
        "METHOD_NOT_ALLOWED",
        () => curl(["-X", "PUT", jobs, "-d", '{"a":1}']),
      );
      await expectIntact(
        "413 5 MiB with its length",
        413,
        "BODY_TOO_LARGE",
        () => post(key, ["--data-binary", `@${big}`]),
      );
      await expectIntact(
        "413 5 MiB streamed without a length",
        413,
        "BODY_TOO_LARGE",
        () => post(key, ["-T", "-"], bigBytes),
      );
      // 10 failed sign-ins from one address, then that address is throttled for a minute.
      await expectIntact("401 unknown key", 401, "UNAUTHORIZED", () => post("nope", job), 10);
      await expectIntact("429 throttled", 429, "TOO_MANY_FAILURES", () => post("nope", job));
      // Failures are kept in the store (every node sees them): a new service still refuses.
      await stopClean(svc);
      svc = await startService(data);
      const again = `https://127.0.0.1:${svc.port}/v1/jobs`;
      await expectIntact(
        "429 after a restart",
        429,
        "TOO_MANY_FAILURES",
        () => curl(["-X", "POST", again, "-H", "Content-Type: application/json", ...job]),
      );
      // With the failures forgotten (as after the window): the other ten 401s.
      await stopClean(svc);
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(join(data, "aft.db"));
      db.exec("DELETE FROM auth_failures");
      db.close();
      svc = await startService(data);
      const third = `https://127.0.0.1:${svc.port}/v1/jobs`;
      await expectIntact(
        "401 without a key",
        401,
        "UNAUTHORIZED",
        () => curl(["-X", "POST", third, "-H", "Content-Type: application/json", ...job]),
        10,
      );
      assert.deepEqual(broken, {});
    } finally {
      if (svc) await stopClean(svc);
      await Deno.remove(data, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  },
});
