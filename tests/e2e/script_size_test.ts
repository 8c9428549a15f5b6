/**
 * A stored script of exactly MAX_STORED_SCRIPT_BYTES is taken by every way in (`aft script add`,
 * and the REST API through curl, which speaks HTTP/2 to the service), however its JSON is
 * escaped; one byte more is refused by each with the size in bytes and how to run a larger
 * script (from a file: `aft run -f FILE`).
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { MAX_STORED_SCRIPT_BYTES } from "../../src/engine/scripts.ts";
import { runAft, tempDataDir } from "./_cli.ts";
import { startService, stopClean } from "./_service.ts";

/** `curl -sk` (HTTP/2 by default over TLS) sending the file `body` as JSON. */
async function curlJson(
  method: string,
  url: string,
  key: string,
  body: string,
): Promise<{ code: number; version: string; json: { error?: { code: string; message: string } } }> {
  const out = await new Deno.Command("curl", {
    args: [
      "-sk",
      "-X",
      method,
      "-w",
      "\n%{http_code} %{http_version}",
      "-H",
      `X-API-Key: ${key}`,
      "-H",
      "Content-Type: application/json",
      "--data-binary",
      `@${body}`,
      url,
    ],
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const i = text.lastIndexOf("\n");
  const [code, version] = text.slice(i + 1).split(" ");
  return { code: Number(code), version: version ?? "", json: JSON.parse(text.slice(0, i)) };
}

Deno.test("a script of exactly 1 MiB is stored by aft script add and by curl (POST, PUT, escaped six-fold); one byte more is refused by each, saying to run it with aft run -f FILE", async () => {
  const data = await tempDataDir();
  const dir = await Deno.makeTempDir({ prefix: "aft-size-" });
  try {
    const atLimit = "//" + "x".repeat(MAX_STORED_SCRIPT_BYTES - 2);
    const over = atLimit + "x";
    // Control characters are written \u0001 by JSON.stringify: 6 bytes of JSON for each byte.
    const escaped = "//" + "\u0001".repeat(MAX_STORED_SCRIPT_BYTES - 2);

    // The CLI stores into the engine directly.
    await Deno.writeTextFile(join(dir, "at.syncjs"), atLimit);
    await Deno.writeTextFile(join(dir, "over.syncjs"), over);
    const add = await runAft(["script", "add", "cli-at", "-f", join(dir, "at.syncjs")], { data });
    assert.equal(add.code, 0, add.stderr);
    const no = await runAft(["script", "add", "cli-over", "-f", join(dir, "over.syncjs")], {
      data,
    });
    assert.equal(no.code, 2, no.stderr);
    assert.match(
      no.stderr,
      /1,048,577 bytes, and a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file: aft run -f FILE/,
    );

    const key = (await runAft(["apikey", "create", "curl", "--scope", "admin"], { data })).stdout
      .trim();
    const svc = await startService(data);
    try {
      const base = `https://${svc.host}/v1/adm/scripts`;
      const file = async (name: string, value: unknown) => {
        const f = join(dir, name);
        await Deno.writeTextFile(f, JSON.stringify(value));
        return f;
      };
      const post = await curlJson(
        "POST",
        base,
        key,
        await file("post.json", { name: "rest-at", source: atLimit }),
      );
      assert.equal(post.code, 201, JSON.stringify(post.json));
      assert.equal(post.version, "2");
      const esc = await file("esc.json", { name: "rest-esc", source: escaped });
      assert.ok((await Deno.stat(esc)).size > 6 * MAX_STORED_SCRIPT_BYTES - 20);
      const postEsc = await curlJson("POST", base, key, esc);
      assert.equal(postEsc.code, 201, JSON.stringify(postEsc.json));
      const put = await curlJson(
        "PUT",
        `${base}/rest-at`,
        key,
        await file("put.json", { source: escaped }),
      );
      assert.equal(put.code, 200, JSON.stringify(put.json));

      for (
        const [method, url, body] of [
          ["POST", base, { name: "rest-over", source: over }],
          ["PUT", `${base}/rest-at`, { source: over }],
          ["POST", base, { name: "rest-over", source: escaped + "\u0001" }],
        ] as const
      ) {
        const r = await curlJson(method, url, key, await file("over.json", body));
        assert.equal(r.code, 400, JSON.stringify(r.json));
        assert.equal(r.json.error?.code, "INVALID_REQUEST");
        assert.match(
          r.json.error!.message,
          /1,048,577 bytes, and a stored script may be at most 1 MiB \(1,048,576 bytes\): run a larger one from a file: aft run -f FILE/,
        );
      }
      // Past what any escaping of a stored script can be: 413, saying what to do.
      const huge = await curlJson(
        "POST",
        base,
        key,
        await file("huge.json", { name: "huge", source: "x".repeat(7 * 1048576) }),
      );
      assert.equal(huge.code, 413, JSON.stringify(huge.json));
      assert.equal(huge.json.error?.code, "BODY_TOO_LARGE");
      assert.match(huge.json.error!.message, /run a larger one from a file: aft run -f FILE/);
      // Every other route keeps its 1 MiB limit.
      const secret = await curlJson(
        "POST",
        `https://${svc.host}/v1/adm/secrets`,
        key,
        await file("secret.json", { name: "s", value: "x".repeat(1048576) }),
      );
      assert.equal(secret.code, 413, JSON.stringify(secret.json));
      assert.match(secret.json.error!.message, /The request body is over 1 MiB/);
    } finally {
      await stopClean(svc);
    }
    const list = JSON.parse((await runAft(["script", "list", "--json"], { data })).stdout);
    assert.deepEqual(list.map((s: { name: string }) => s.name).sort(), [
      "cli-at",
      "rest-at",
      "rest-esc",
    ]);
  } finally {
    await Deno.remove(data, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
