import { join } from "node:path";
import { authSteps } from "../../tests/store/conformance_auth.ts";
import { SqliteStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

for (const [name, fn] of authSteps) {
  Deno.test(`sqlite store, ${name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "aft-store-" });
    const opened: Store[] = [];
    try {
      await fn(async () => {
        const s = new SqliteStore(join(dir, "aft.db"));
        opened.push(s);
        await s.migrate();
        return s;
      });
    } finally {
      for (const s of opened) await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
