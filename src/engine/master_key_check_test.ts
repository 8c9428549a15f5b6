import assert from "node:assert/strict";
import { PostgresStore } from "../store/postgres/postgres.ts";
import type { Store } from "../store/types.ts";
import { startPostgres } from "../../tests/fixtures/postgres.ts";
import { CHECK_KEY, checkMasterKey, type MasterKeyCheckParts } from "./master_key_check.ts";
import { decrypt, encrypt } from "./crypto.ts";
import { EngineError } from "./errors.ts";

/** A node's key as the check sees it. */
async function nodeKey(): Promise<MasterKeyCheckParts["secrets"]> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  return { encrypt: (p) => encrypt(key, p), decrypt: (c) => decrypt(key, c) };
}

/**
 * The store as one node sees it, whose first read of the settings returns only once every
 * node has read them: the nodes all find the store empty before any writes, as nodes started
 * at the same moment can.
 */
function together(stores: Store[]): MasterKeyCheckParts["store"][] {
  let arrived = 0;
  let release = () => {};
  const all = new Promise<void>((r) => release = r);
  return stores.map((store) => {
    let first = true;
    return {
      location: store.location,
      secrets: store.secrets,
      vfs: store.vfs,
      settings: {
        ...store.settings,
        all: async () => {
          const values = await store.settings.all();
          if (first) {
            first = false;
            if (++arrived === stores.length) release();
            await all;
          }
          return values;
        },
      },
    };
  });
}

if (Deno.build.os !== "linux") {
  Deno.test({ name: "master key check on PostgreSQL (runs on Linux)", ignore: true, fn() {} });
} else {
  Deno.test("two nodes with different master keys starting at once on an empty PostgreSQL store: one starts, the other refuses", async () => {
    const pg = await startPostgres();
    const stores: Store[] = [];
    try {
      const url = await pg.createDatabase();
      for (let i = 0; i < 3; i++) stores.push(new PostgresStore(url, { max: 2 }));
      await Promise.all(stores.map((s) => s.migrate()));
      const keys = [await nodeKey(), await nodeKey()];
      const seen = together(stores.slice(0, 2));
      const results = await Promise.allSettled(
        keys.map((secrets, i) => checkMasterKey({ store: seen[i]!, secrets })),
      );
      const started = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
      assert.equal(started.length, 1, `exactly one node starts: ${JSON.stringify(results)}`);
      const loser = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.ok(loser.reason instanceof EngineError, String(loser.reason));
      assert.equal(loser.reason.code, "MASTER_KEY_MISMATCH");
      assert.match(loser.reason.message, /master key is not the one the store .* was used with/);
      assert.doesNotMatch(loser.reason.message, new RegExp(pg.password));

      // The stored check value is the winner's: it starts again, the other still refuses.
      const winner = started[0]!;
      const stored = (await stores[2]!.settings.all())[CHECK_KEY] as string;
      assert.equal(await keys[winner]!.decrypt(stored), "aft master key check");
      await checkMasterKey({ store: stores[2]!, secrets: keys[winner]! });
      await assert.rejects(
        checkMasterKey({ store: stores[2]!, secrets: keys[1 - winner]! }),
        (e) => e instanceof EngineError && e.code === "MASTER_KEY_MISMATCH",
      );
    } finally {
      for (const s of stores) await s.close();
      await pg.stop();
    }
  });
}
