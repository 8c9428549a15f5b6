/**
 * Store conformance steps for the web console's tables: admins, sessions, failed
 * authentications, setup codes and the audit log. Each step gets a fresh migrated store (and a
 * second connection to the same database, for the steps about several processes or nodes).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Store } from "../../src/store/types.ts";
import { StoreError } from "../../src/store/types.ts";

/** Opens a migrated connection to the step's database (each call: another connection). */
export type OpenStore = () => Promise<Store>;

export type AuthStep = [name: string, fn: (open: OpenStore) => Promise<void>];

const hash = (n: number) => n.toString(16).padStart(64, "0");
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

export const authSteps: AuthStep[] = [
  ["admins: case-insensitive names, updates, the replay guard of TOTP steps", async (open) => {
    const s = await open();
    const ada = await s.admins.create({ username: "Ada", passwordHash: "$scrypt$x" });
    assert.equal(ada.totpLastStep, null);
    await assert.rejects(
      s.admins.create({ username: " ada ", passwordHash: "y" }),
      (e) => e instanceof StoreError && e.code === "ALREADY_EXISTS",
    );
    assert.equal((await s.admins.getByName("ADA"))?.id, ada.id);
    const u = await s.admins.update(ada.id, {
      totpSecretEnc: "v1:a:b",
      lastSignInAt: inMinutes(0),
    });
    assert.equal(u.totpSecretEnc, "v1:a:b");
    assert.equal((await s.admins.update(ada.id, { totpSecretEnc: null })).totpSecretEnc, null);
    await assert.rejects(
      s.admins.update("nope", { passwordHash: "z" }),
      (e) => e instanceof StoreError && e.code === "NOT_FOUND",
    );
    assert.equal(await s.admins.useTotpStep(ada.id, 100), true);
    assert.equal(await s.admins.useTotpStep(ada.id, 100), false, "a step is used once");
    assert.equal(await s.admins.useTotpStep(ada.id, 99), false, "no step before it");
    assert.equal(await s.admins.useTotpStep(ada.id, 101), true);
    assert.equal(await s.admins.useTotpStep("nope", 5), false);
    await s.admins.create({ username: "<script>alert(1)</script>", passwordHash: "h" });
    assert.deepEqual((await s.admins.list()).map((a) => a.username), [
      "<script>alert(1)</script>",
      "Ada",
    ]);
  }],
  [
    "admins: createFirst() makes one first admin even when raced, and spends the setup codes",
    async (open) => {
      const a = await open();
      const b = await open();
      await a.setupCodes.add(hash(1), inMinutes(60));
      const made = await Promise.all(
        Array.from(
          { length: 6 },
          (_, i) =>
            (i % 2 ? a : b).admins.createFirst({ username: `admin${i}`, passwordHash: "h" }),
        ),
      );
      assert.equal(
        made.filter((m) => m !== undefined).length,
        1,
      );
      assert.equal(await a.admins.count(), 1);
      assert.equal(await a.setupCodes.any(inMinutes(0)), false);
    },
  ],
  ["admins: remove() keeps the last admin and ends the removed one's sessions", async (open) => {
    const s = await open();
    const a = await s.admins.create({ username: "a", passwordHash: "h" });
    const b = await s.admins.create({ username: "b", passwordHash: "h" });
    const sa = await s.sessions.create({
      adminId: a.id,
      tokenHash: hash(1),
      stage: "active",
      ip: "::1",
      expiresAt: inMinutes(60),
    });
    await s.sessions.create({
      adminId: b.id,
      tokenHash: hash(2),
      stage: "active",
      ip: "::1",
      expiresAt: inMinutes(60),
    });
    assert.equal(await s.admins.remove(a.id), "removed");
    assert.equal(await s.sessions.getByHash(sa.tokenHash), undefined);
    assert.equal(await s.admins.remove(b.id), "last");
    assert.equal(await s.admins.remove("nope"), "missing");
    assert.ok(await s.sessions.getByHash(hash(2)));
    // Two connections removing the two remaining admins at once leave one.
    const c = await s.admins.create({ username: "c", passwordHash: "h" });
    const other = await open();
    const r = await Promise.all([s.admins.remove(b.id), other.admins.remove(c.id)]);
    assert.deepEqual(r.sort(), ["last", "removed"]);
    assert.equal(await s.admins.count(), 1);
    assert.equal(await s.admins.removeAll(), 1);
    assert.equal(await s.sessions.getByHash(hash(2)), undefined);
  }],
  ["sessions: by token hash, per admin, expiry, purge", async (open) => {
    const s = await open();
    const a = await s.admins.create({ username: "a", passwordHash: "h" });
    const mk = (n: number, minutes: number, stage: "active" | "totp" = "active") =>
      s.sessions.create({
        adminId: a.id,
        tokenHash: hash(n),
        stage,
        ip: "192.0.2.1",
        expiresAt: inMinutes(minutes),
      });
    const one = await mk(1, 60);
    await mk(2, 60);
    await mk(3, -1);
    await mk(4, 5, "totp");
    assert.deepEqual(await s.sessions.getByHash(hash(1)), one);
    assert.equal((await s.sessions.list(inMinutes(0))).length, 3);
    assert.equal(await s.sessions.purge(inMinutes(0)), 1);
    assert.equal(await s.sessions.removeByAdmin(a.id, { except: one.id }), 2);
    assert.deepEqual((await s.sessions.list(inMinutes(0))).map((x) => x.id), [one.id]);
    assert.equal(await s.sessions.remove(one.id), true);
    assert.equal(await s.sessions.remove(one.id), false);
  }],
  [
    "failures: counted per key within a window, seen by every connection, cleared, purged",
    async (open) => {
      const a = await open();
      const b = await open();
      const base = Date.now();
      const t = (m: number) => new Date(base + m * 60_000).toISOString();
      await a.failures.add(["ip:1", "acct:ada"], t(-20));
      await b.failures.add(["ip:1"], t(-5));
      await a.failures.add(["ip:1"], t(-1));
      assert.deepEqual(await b.failures.recent("ip:1", t(-10)), { count: 2, oldest: t(-5) });
      assert.deepEqual(await a.failures.recent("acct:ada", t(-10)), { count: 0, oldest: null });
      assert.equal((await a.failures.recent("acct:ada", t(-30))).count, 1);
      await b.failures.clear("ip:1");
      assert.equal((await a.failures.recent("ip:1", t(-60))).count, 0);
      assert.equal(await a.failures.purge(t(0)), 1);
      await a.failures.add([], t(0));
    },
  ],
  ["setup codes: valid until they expire", async (open) => {
    const s = await open();
    assert.equal(await s.setupCodes.any(inMinutes(0)), false);
    await s.setupCodes.add(hash(7), inMinutes(10));
    assert.equal(await s.setupCodes.valid(hash(7), inMinutes(0)), true);
    assert.equal(await s.setupCodes.valid(hash(8), inMinutes(0)), false);
    assert.equal(await s.setupCodes.valid(hash(7), inMinutes(11)), false);
    assert.equal(await s.setupCodes.any(inMinutes(0)), true);
  }],
  [
    "audit: entries newest first, filters, pages, purge, hostile text kept as it is",
    async (open) => {
      const s = await open();
      const base = Date.parse("2026-03-01T00:00:00Z");
      const at = (h: number) => new Date(base + h * 3600_000).toISOString();
      const names = ["ada", "Bob", `it's "quoted"; DROP TABLE audit; --`, "%_\\"];
      for (let i = 0; i < 12; i++) {
        await s.audit.add({
          at: at(i),
          actorKind: i % 3 ? "admin" : "apikey",
          actorName: names[i % 4]!,
          ip: i % 2 ? "192.0.2.1" : null,
          action: ["script.create", "secret.set", "signin"][i % 3]!,
          target: `t${i}`,
          detail: i === 0 ? { changes: { a: 1, "b.c": ["x"] } } : null,
          outcome: i === 11 ? "failed" : "ok",
        });
      }
      const all = await s.audit.list({ limit: 100 });
      assert.equal(all.length, 12);
      assert.deepEqual(
        all.map((e) => e.target),
        Array.from({ length: 12 }, (_, i) => `t${11 - i}`),
      );
      assert.deepEqual(all.at(-1)!.detail, { changes: { a: 1, "b.c": ["x"] } });
      assert.equal(all[0]!.outcome, "failed");
      assert.equal((await s.audit.list({ actor: "BOB" })).length, 3);
      assert.equal((await s.audit.list({ actor: names[2] })).length, 3);
      assert.equal((await s.audit.list({ actor: "%_\\" })).length, 3);
      assert.equal((await s.audit.list({ actor: "%" })).length, 0);
      assert.equal((await s.audit.list({ action: "script" })).length, 4);
      assert.equal((await s.audit.list({ action: "script.create" })).length, 4);
      assert.equal((await s.audit.list({ action: "scrip" })).length, 0);
      assert.equal((await s.audit.list({ action: "%" })).length, 0);
      assert.deepEqual(
        (await s.audit.list({ from: at(3), to: at(6) })).map((e) => e.target),
        ["t5", "t4", "t3"],
      );
      const page = await s.audit.list({ limit: 5 });
      const next = await s.audit.list({ limit: 5, before: page.at(-1)!.id });
      assert.deepEqual(next.map((e) => e.target), ["t6", "t5", "t4", "t3", "t2"]);
      assert.equal(await s.audit.purge(at(4)), 4);
      assert.equal((await s.audit.list({ limit: 100 })).length, 8);
    },
  ],
];
