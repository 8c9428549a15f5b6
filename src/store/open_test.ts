import assert from "node:assert/strict";
import { join } from "node:path";
import { openStore, resolveStore } from "./open.ts";
import { StoreError } from "./types.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aft-open-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const noEnv = () => undefined;

Deno.test("resolveStore(): --store, then $AFT_STORE, then config.json, then DATA/aft.db", async () => {
  await withDir(async (dir) => {
    const env = (v?: string) => (n: string) => n === "AFT_STORE" ? v : undefined;
    assert.deepEqual(resolveStore({ dataDir: dir, env: noEnv }), {
      spec: { kind: "sqlite", path: join(dir, "aft.db") },
      from: "default",
    });
    await Deno.writeTextFile(join(dir, "config.json"), '{"store": "sqlite:from-config.db"}');
    assert.deepEqual(resolveStore({ dataDir: dir, env: noEnv }), {
      spec: { kind: "sqlite", path: join(dir, "from-config.db") },
      from: "config.json",
    });
    assert.deepEqual(resolveStore({ dataDir: dir, env: env("postgres://h/d") }), {
      spec: { kind: "postgres", url: "postgres://h/d" },
      from: "AFT_STORE",
    });
    assert.deepEqual(
      resolveStore({ dataDir: dir, store: "sqlite:/x/flag.db", env: env("postgres://h/d") }),
      { spec: { kind: "sqlite", path: "/x/flag.db" }, from: "--store" },
    );
    // A config.json without a store entry (other settings may live there later) is no choice.
    await Deno.writeTextFile(join(dir, "config.json"), "{}");
    assert.equal((resolveStore({ dataDir: dir, env: noEnv })).from, "default");
  });
});

Deno.test("resolveStore() refuses a config.json that is broken, or that others may read while it holds a password", async () => {
  await withDir(async (dir) => {
    const file = join(dir, "config.json");
    const refused = (re: RegExp) => {
      assert.throws(() => resolveStore({ dataDir: dir, env: noEnv }), (e: Error) => {
        assert.ok(e instanceof StoreError && e.code === "INVALID", String(e));
        assert.match(e.message, re);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      });
    };
    await Deno.writeTextFile(file, "{not json", { mode: 0o600 });
    await Deno.chmod(file, 0o600);
    refused(/config.json" is not valid JSON/);
    await Deno.writeTextFile(file, "[]");
    refused(/must hold a JSON object/);
    await Deno.writeTextFile(file, '{"store": 5}');
    refused(/"store" in ".*config.json" must be a store URL/);
    await Deno.writeTextFile(file, '{"store": "ftp://u:hunter2@h"}');
    refused(/Unknown store "ftp:\/\/u:\*\*\*@h"/);
    if (Deno.build.os !== "windows") {
      await Deno.writeTextFile(file, '{"store": "postgres://aft:hunter2@db/aft"}', { mode: 0o644 });
      await Deno.chmod(file, 0o644);
      refused(
        /holds a store password but others may read it \(mode 644\): make it private with chmod 600/,
      );
      await Deno.chmod(file, 0o600);
      assert.equal((resolveStore({ dataDir: dir, env: noEnv })).from, "config.json");
      // No password, no secret: the mode does not matter.
      await Deno.writeTextFile(file, '{"store": "postgres://aft@db/aft"}');
      await Deno.chmod(file, 0o644);
      assert.equal((resolveStore({ dataDir: dir, env: noEnv })).from, "config.json");
    }
  });
});

Deno.test("openStore() opens and migrates SQLite at DATA/aft.db by default", async () => {
  await withDir(async (dir) => {
    const store = await openStore({ dataDir: dir, store: undefined });
    try {
      assert.equal(store.kind, "sqlite");
      assert.equal(store.location, join(dir, "aft.db"));
      assert.deepEqual(await store.settings.all(), {});
    } finally {
      await store.close();
    }
  });
});
