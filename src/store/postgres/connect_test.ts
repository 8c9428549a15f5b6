import assert from "node:assert/strict";
import { join } from "node:path";
import { StoreError } from "../types.ts";
import { parsePgUrl, pgOptions } from "./connect.ts";

function refused(url: string, re: RegExp): void {
  assert.throws(() => parsePgUrl(url), (e: Error) => {
    assert.ok(e instanceof StoreError && e.code === "INVALID", String(e));
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /hunter2/, "the password is never in the message");
    return true;
  });
}

Deno.test("parsePgUrl() reads user, password, host, port and database, %-decoded", () => {
  const t = parsePgUrl("postgres://aft%20user:p%40ss%3Aw%2F@[::1]:6543/aft%2Fdb");
  assert.deepEqual(
    [t.username, t.password, t.host, t.port, t.database, t.applicationName, t.connectTimeout],
    ["aft user", "p@ss:w/", "::1", 6543, "aft/db", "aft", 10],
  );
  const d = parsePgUrl("postgresql://aft@db.example");
  assert.deepEqual([d.password, d.port, d.database, d.ssl], [undefined, 5432, "aft", "prefer"]);
});

Deno.test("parsePgUrl() gives sslmode libpq's meaning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ca = join(dir, "ca.pem");
    await Deno.writeTextFile(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const ssl = (q: string) => parsePgUrl(`postgres://u@h/d?${q}`).ssl;
    assert.equal(ssl("sslmode=disable"), false);
    assert.equal(ssl("sslmode=allow"), "prefer");
    assert.equal(ssl("sslmode=prefer"), "prefer");
    assert.equal(ssl("sslmode=require"), "require");
    const verifyCa = ssl(`sslmode=require&sslrootcert=${encodeURIComponent(ca)}`);
    assert.ok(typeof verifyCa === "object" && verifyCa.rejectUnauthorized);
    assert.match(verifyCa.ca!, /BEGIN CERTIFICATE/);
    assert.equal(
      verifyCa.checkServerIdentity?.(),
      undefined,
      "require with a CA checks the CA only",
    );
    const full = ssl(`sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`);
    assert.ok(typeof full === "object" && full.rejectUnauthorized && !full.checkServerIdentity);
    const system = ssl("sslrootcert=system");
    assert.deepEqual(system, { ca: undefined, rejectUnauthorized: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parsePgUrl() refuses malformed URLs with a reason and without the password", () => {
  refused("postgres://u:hunter2@h/d?sslmode=sometimes", /sslmode "sometimes" is not one of/);
  refused("postgres://u:hunter2@h/d?search_path=x", /unknown parameter "search_path"/);
  refused(
    "postgres://u:hunter2@h/d?sslrootcert=/nonexistent/ca.pem",
    /cannot read the CA file "\/nonexistent\/ca.pem"/,
  );
  refused("postgres://u:hunter2@h/d?connect_timeout=-1", /connect_timeout/);
  refused("postgres://u:hun ter2@h:99999/d", /not a URL/);
  refused("postgres://:hunter2@h/d", /no user name/);
  refused("http://u:hunter2@h/d", /scheme/);
  refused("postgres://u:%E0%A4%A@h/d", /%-escape/);
});

Deno.test("pgOptions() asks for UTC and names the application", () => {
  const o = pgOptions("postgres://u:pw@h:1/d?application_name=node-1&connect_timeout=3", {
    max: 2,
  });
  assert.deepEqual(
    [o.host, o.port, o.database, o.username, o.password, o.max, o.connect_timeout],
    ["h", 1, "d", "u", "pw", 2, 3],
  );
  assert.deepEqual(o.connection, { application_name: "node-1", TimeZone: "UTC" });
});
