import assert from "node:assert/strict";
import { parseStoreSpec, redactStoreUrl } from "./store_url.ts";
import { StoreError } from "./types.ts";

Deno.test("redactStoreUrl() hides the password wherever it stands, and only the password", async (t) => {
  const cases: [string, string][] = [
    ["postgres://aft:s3cret@db:5432/aft", "postgres://aft:***@db:5432/aft"],
    [
      "postgresql://aft:p%40ss%2Fw@db/aft?sslmode=require",
      "postgresql://aft:***@db/aft?sslmode=require",
    ],
    // Unencoded @ and / in a password: the whole password is still hidden.
    ["postgres://aft:p@ss/w@rd@db:5432/aft", "postgres://aft:***@db:5432/aft"],
    ["postgres://aft:@db/aft", "postgres://aft:***@db/aft"],
    ["postgres://aft@db/aft", "postgres://aft@db/aft"],
    ["postgres://db/aft", "postgres://db/aft"],
    [
      "postgres://db/aft?password=hunter2&sslmode=verify-full",
      "postgres://db/aft?password=***&sslmode=verify-full",
    ],
    ["postgres://u:x@db/aft?PASSWORD=y", "postgres://u:***@db/aft?PASSWORD=***"],
    ["sqlite:/var/lib/aft/aft.db", "sqlite:/var/lib/aft/aft.db"],
    ["not a url at all", "not a url at all"],
  ];
  for (const [url, want] of cases) {
    await t.step(url.replace(/:[^:@]*@/, ":…@"), () => assert.equal(redactStoreUrl(url), want));
  }
});

Deno.test("parseStoreSpec() takes postgres URLs and sqlite: paths, and refuses the rest without echoing a password", () => {
  assert.deepEqual(parseStoreSpec(" postgres://a:b@h/d ", "/data"), {
    kind: "postgres",
    url: "postgres://a:b@h/d",
  });
  assert.deepEqual(parseStoreSpec("POSTGRESQL://h/d", "/data"), {
    kind: "postgres",
    url: "POSTGRESQL://h/d",
  });
  assert.deepEqual(parseStoreSpec("sqlite:other.db", "/data"), {
    kind: "sqlite",
    path: "/data/other.db",
  });
  assert.deepEqual(parseStoreSpec("sqlite:/abs/x.db", "/data"), {
    kind: "sqlite",
    path: "/abs/x.db",
  });
  assert.deepEqual(parseStoreSpec("sqlite:///abs/x.db", "/data"), {
    kind: "sqlite",
    path: "/abs/x.db",
  });
  assert.throws(() => parseStoreSpec("sqlite:", "/data"), StoreError);
  assert.throws(
    () => parseStoreSpec("mysql://root:topsecret@h/d", "/data"),
    (e: Error) => {
      assert.ok(e instanceof StoreError && e.code === "INVALID");
      assert.match(e.message, /Unknown store "mysql:\/\/root:\*\*\*@h\/d": use postgres:\/\//);
      assert.doesNotMatch(e.message, /topsecret/);
      return true;
    },
  );
});
