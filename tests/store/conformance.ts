/**
 * The shared store conformance suite: every method of `Store` (src/store/types.ts), run on each
 * store by a test file that hands it a factory, as tests/vfs/conformance.ts does for VFS
 * backends. Each step gets a fresh database; the queue steps (claims, leases, slots, signals)
 * are in `conformance_queue.ts`, the web console's (admins, sessions, failures, setup codes,
 * audit log) in `conformance_auth.ts`.
 *
 * @example
 * ```ts
 * storeConformance("sqlite", sqliteSubject);
 * ```
 * @module
 */

import assert from "node:assert/strict";
import { type Store, StoreError } from "../../src/store/types.ts";
import { authSteps } from "./conformance_auth.ts";
import { pageSteps } from "./conformance_pages.ts";
import { queueSteps } from "./conformance_queue.ts";

/** One fresh database of the store under test. */
export interface StoreSubject {
  /** A new connection to this database, not migrated. */
  connect(): Store;
  /** Runs SQL that both stores accept, as the database's owner (for set-up only). */
  exec(sql: string): Promise<void>;
  /** Closes nothing the suite opened; removes the database. */
  cleanup(): Promise<void>;
}

export interface StoreSuiteOptions {
  /** Jobs claimed by three connections at once in the claim race (default 300). */
  claimJobs?: number;
}

/** A step of the suite: `open()` connects (migrated) to the step's own fresh database. */
export interface StepContext {
  subject: StoreSubject;
  /** A migrated connection, closed after the step. */
  open(): Promise<Store>;
  opts: Required<StoreSuiteOptions>;
}

export type Step = [name: string, fn: (c: StepContext) => Promise<void>];

/** Asserts that `p` rejects with a StoreError of `code` whose message matches `re`. */
export async function rejectsWith(
  p: Promise<unknown>,
  code: StoreError["code"],
  re?: RegExp,
): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(e instanceof StoreError, `expected StoreError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

/** Names that break naive SQL and case folding. */
export const HOSTILE_NAMES = [
  `it's a "quoted" name; DROP TABLE scripts; --`,
  "résumé ☃ 日本語 𝄞",
  "tab\there, bell\u0007 and NUL-free control",
  "..",
  "%_\\ like wildcards",
  "x".repeat(200),
];

const recordSteps: Step[] = [
  ["migrate() on a new database from several connections at once, then again", async (c) => {
    const conns = [
      c.subject.connect(),
      c.subject.connect(),
      c.subject.connect(),
      c.subject.connect(),
    ];
    try {
      await Promise.all(conns.map((s) => s.migrate()));
      await conns[0]!.scripts.create({ name: "still here", source: "x" });
      await conns[1]!.migrate();
      assert.equal((await conns[2]!.scripts.list()).length, 1);
    } finally {
      await Promise.all(conns.map((s) => s.close()));
    }
  }],

  ["a database with a newer schema is refused, untouched, with a clear message", async (c) => {
    const a = await c.open();
    await a.scripts.create({ name: "kept", source: "x" });
    await c.subject.exec("INSERT INTO schema_version (version) VALUES (99)");
    const b = c.subject.connect();
    try {
      await rejectsWith(
        b.migrate(),
        "NEWER_SCHEMA",
        /schema version 99, newer than this aft knows \(\d+\): upgrade aft/,
      );
      assert.doesNotMatch(b.location, /pw-/, "the message names the store without its password");
    } finally {
      await b.close();
    }
    assert.equal((await a.scripts.getByName("kept"))?.source, "x");
  }],

  ["kind and location name the store without credentials; close() twice is harmless", async (c) => {
    const s = c.subject.connect();
    assert.ok(s.kind === "sqlite" || s.kind === "postgres");
    assert.doesNotMatch(s.location, /pw-/);
    await s.close();
    await s.close();
  }],

  ["settings: JSON values round-trip, set replaces, remove forgets", async (c) => {
    const s = await c.open();
    assert.deepEqual(await s.settings.all(), {});
    const values: Record<string, unknown> = {
      allowCliRun: true,
      maxConcurrentJobs: 4,
      "smtp.host": "mail.example",
      localRoots: ["/srv/a", "/srv/b"],
      nested: { a: [1, { b: null }], "é": "日本" },
      empty: "",
      quote: `'"; --`,
    };
    for (const [k, v] of Object.entries(values)) await s.settings.set(k, v);
    assert.deepEqual(await s.settings.all(), values);
    await s.settings.set("maxConcurrentJobs", 8);
    await s.settings.remove("empty");
    await s.settings.remove("never set");
    const { empty: _, ...rest } = values;
    assert.deepEqual(await s.settings.all(), { ...rest, maxConcurrentJobs: 8 });
  }],

  [
    "settings.add: stores only where no value is, and one of several connections at once wins",
    async (c) => {
      const s = await c.open();
      assert.equal(await s.settings.add("kept", { v: 1 }), true);
      assert.equal(await s.settings.add("kept", { v: 2 }), false);
      assert.deepEqual((await s.settings.all()).kept, { v: 1 });
      await s.settings.set("replaced", "old");
      assert.equal(await s.settings.add("replaced", "new"), false);
      assert.equal((await s.settings.all()).replaced, "old");
      // Four connections add the same key at once (as nodes starting together do): one stores.
      const conns = [s, await c.open(), await c.open(), await c.open()];
      for (let round = 0; round < 5; round++) {
        const key = `race ${round} 'x"`;
        const won = await Promise.all(conns.map((conn, i) => conn.settings.add(key, `node ${i}`)));
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
        const stored = (await conns[3]!.settings.all())[key];
        assert.equal(stored, `node ${won.indexOf(true)}`);
      }
    },
  ],

  ["scripts: names unique case-insensitively, hostile names kept exactly", async (c) => {
    const s = await c.open();
    const big = "// big\n".repeat(150_000);
    const made = [];
    for (const name of HOSTILE_NAMES) made.push(await s.scripts.create({ name, source: big }));
    for (const m of made) {
      assert.deepEqual(await s.scripts.get(m.id), m);
      assert.deepEqual(await s.scripts.getByName(m.name.toUpperCase()), m);
    }
    await rejectsWith(
      s.scripts.create({ name: "RÉSUMÉ ☃ 日本語 𝄞", source: "" }),
      "ALREADY_EXISTS",
    );
    await rejectsWith(s.scripts.create({ name: "  ", source: "" }), "INVALID");
    await rejectsWith(s.scripts.create({ name: "a\u0000b", source: "" }), "INVALID", /NUL/);
    await rejectsWith(s.scripts.create({ name: "y".repeat(201), source: "" }), "INVALID");
    const one = await s.scripts.create({ name: "  Nightly  ", source: "a" });
    assert.equal(one.name, "Nightly");
    assert.deepEqual(
      (await s.scripts.list()).map((x) => x.name),
      [...HOSTILE_NAMES, "Nightly"].sort((a, b) =>
        a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0
      ),
    );
    const upd = await s.scripts.update(one.id, { name: "Nightly Copy", source: "b" });
    assert.deepEqual([upd.id, upd.name, upd.source, upd.createdAt], [
      one.id,
      "Nightly Copy",
      "b",
      one.createdAt,
    ]);
    assert.equal((await s.scripts.update(one.id, { source: "c" })).name, "Nightly Copy");
    await rejectsWith(s.scripts.update(one.id, { name: "..", source: "d" }), "ALREADY_EXISTS");
    await rejectsWith(s.scripts.update("nope", { source: "x" }), "NOT_FOUND");
    assert.equal(await s.scripts.get("nope"), undefined);
    assert.equal(await s.scripts.getByName("nope"), undefined);
    assert.equal(await s.scripts.remove(one.id), true);
    assert.equal(await s.scripts.remove(one.id), false);
  }],

  ["vfs: create, update, rename, remove; names unique case-insensitively", async (c) => {
    const s = await c.open();
    const input = { name: "Backup SFTP", type: "sftp", target: "sftp://h:22/", optionsEnc: "enc1" };
    const v = await s.vfs.create(input);
    assert.deepEqual({ ...v, id: "", createdAt: "", updatedAt: "" }, {
      ...input,
      id: "",
      createdAt: "",
      updatedAt: "",
    });
    assert.deepEqual(await s.vfs.get(v.id), v);
    assert.deepEqual(await s.vfs.getByName("backup sftp"), v);
    await rejectsWith(s.vfs.create({ ...input, name: "BACKUP SFTP" }), "ALREADY_EXISTS");
    const other = await s.vfs.create({ ...input, name: `O'Brien "disk"` });
    const u = await s.vfs.update(v.id, { target: "sftp://h2:22/", optionsEnc: "enc2" });
    assert.deepEqual([u.name, u.target, u.optionsEnc, u.type], [
      "Backup SFTP",
      "sftp://h2:22/",
      "enc2",
      "sftp",
    ]);
    await rejectsWith(s.vfs.update(v.id, { name: `o'brien "DISK"` }), "ALREADY_EXISTS");
    await rejectsWith(s.vfs.update("nope", { target: "x" }), "NOT_FOUND");
    assert.deepEqual((await s.vfs.list()).map((x) => x.name), ["Backup SFTP", `O'Brien "disk"`]);
    assert.equal(await s.vfs.remove(other.id), true);
    assert.equal(await s.vfs.remove(other.id), false);
    assert.equal(await s.vfs.get(other.id), undefined);
  }],

  ["secrets: put creates then replaces, names are case-sensitive", async (c) => {
    const s = await c.open();
    const a = await s.secrets.put("Token", "c1");
    const b = await s.secrets.put("token", "c2");
    const a2 = await s.secrets.put("Token", "c3");
    assert.equal(a2.id, a.id, "a replaced secret keeps its ID");
    assert.equal(a2.valueEnc, "c3");
    assert.equal((await s.secrets.getByName("token"))?.valueEnc, "c2");
    assert.equal(await s.secrets.getByName("TOKEN"), undefined);
    assert.deepEqual((await s.secrets.list()).map((x) => x.name), ["Token", "token"]);
    await rejectsWith(s.secrets.put("", "x"), "INVALID");
    assert.equal(await s.secrets.remove(b.name), true);
    assert.equal(await s.secrets.remove(b.name), false);
  }],

  ["apikeys: unique names, lookup by hash, touch, remove by ID or name", async (c) => {
    const s = await c.open();
    const k = await s.apikeys.create({
      name: "CI",
      prefix: "abc",
      hash: "h1",
      allow: ["127.0.0.1", "::1", "10.0.0.0/8"],
      scopes: ["jobs:start", "jobs:read"],
    });
    assert.equal(k.lastUsedAt, null);
    assert.deepEqual(await s.apikeys.getByHash("h1"), k);
    await rejectsWith(
      s.apikeys.create({ name: "ci", prefix: "x", hash: "h2", allow: [], scopes: [] }),
      "ALREADY_EXISTS",
    );
    await rejectsWith(
      s.apikeys.create({ name: "other", prefix: "x", hash: "h1", allow: [], scopes: [] }),
      "ALREADY_EXISTS",
    );
    await s.apikeys.touch(k.id);
    const touched = (await s.apikeys.getByHash("h1"))!;
    assert.ok(touched.lastUsedAt && !Number.isNaN(Date.parse(touched.lastUsedAt)));
    const k2 = await s.apikeys.create({
      name: "Deploy",
      prefix: "d",
      hash: "h3",
      allow: [],
      scopes: ["admin"],
    });
    assert.deepEqual((await s.apikeys.list()).map((x) => x.name), ["CI", "Deploy"]);
    assert.equal(await s.apikeys.remove("ci"), true);
    assert.equal(await s.apikeys.remove(k2.id), true);
    assert.equal(await s.apikeys.remove("ci"), false);
    assert.equal(await s.apikeys.getByHash("h1"), undefined);
    // A key named (before the engine refused such names) like another's ID: removing by that
    // ID removes the one with the ID, and only it; then the name finds the other.
    const victim = await s.apikeys.create({
      name: "v",
      prefix: "v",
      hash: "h4",
      allow: [],
      scopes: [],
    });
    await s.apikeys.create({ name: victim.id, prefix: "n", hash: "h5", allow: [], scopes: [] });
    assert.equal(await s.apikeys.remove(victim.id), true);
    assert.deepEqual((await s.apikeys.list()).map((x) => x.name), [victim.id]);
    assert.equal(await s.apikeys.remove(victim.id), true);
    assert.deepEqual(await s.apikeys.list(), []);
  }],

  ["schedules: create, get by ID or name, setNext, list, remove", async (c) => {
    const s = await c.open();
    const input = {
      name: "Nightly",
      script: "Backup",
      cron: "0 2 * * *",
      params: { day: "mon", "é": "x" },
      enabled: true,
      nextRunAt: "2026-01-01T02:00:00.000Z",
    };
    const sch = await s.schedules.create(input);
    assert.deepEqual([sch.lastRunAt, sch.lastJobId], [null, null]);
    assert.deepEqual(await s.schedules.get(sch.id), sch);
    assert.deepEqual(await s.schedules.get(" nightly "), sch);
    await rejectsWith(s.schedules.create({ ...input, name: "NIGHTLY" }), "ALREADY_EXISTS");
    const off = await s.schedules.create({
      ...input,
      name: "Off",
      enabled: false,
      nextRunAt: null,
    });
    assert.equal((await s.schedules.get("off"))?.enabled, false);
    await s.schedules.setNext(sch.id, "2026-01-02T02:00:00.000Z");
    assert.equal((await s.schedules.get(sch.id))?.nextRunAt, "2026-01-02T02:00:00.000Z");
    await s.schedules.setNext(sch.id, null);
    assert.equal((await s.schedules.get(sch.id))?.nextRunAt, null);
    assert.deepEqual((await s.schedules.list()).map((x) => x.name), ["Nightly", "Off"]);
    // One named like another's ID: the ID finds (and removes) its own schedule only.
    const twin = await s.schedules.create({ ...input, name: off.id });
    assert.equal((await s.schedules.get(off.id))?.name, "Off");
    assert.equal(await s.schedules.remove(off.id), true);
    assert.equal((await s.schedules.get(off.id))?.id, twin.id);
    assert.equal(await s.schedules.remove(twin.id), true);
    assert.equal(await s.schedules.remove("nightly"), true);
    assert.equal(await s.schedules.remove("nightly"), false);
    assert.equal(await s.schedules.get("nightly"), undefined);
  }],

  ["admins: count and removeAll", async (c) => {
    const s = await c.open();
    assert.equal(await s.admins.count(), 0);
    assert.equal(await s.admins.removeAll(), 0);
    await s.admins.create({ username: "root", passwordHash: "x" });
    await s.admins.create({ username: "ops", passwordHash: "y" });
    assert.equal(await s.admins.count(), 2);
    assert.equal(await s.admins.removeAll(), 2);
    assert.equal(await s.admins.count(), 0);
  }],

  ["watchState: get what was set, set replaces", async (c) => {
    const s = await c.open();
    const key = `script "x"|vfs|/in|mode`;
    assert.equal(await s.watchState.get(key), undefined);
    await s.watchState.set(key, JSON.stringify({ a: 1 }));
    await s.watchState.set(key, JSON.stringify({ a: 2, "日": "本" }));
    assert.deepEqual(JSON.parse((await s.watchState.get(key))!), { a: 2, "日": "本" });
  }],
];

/** Registers the suite for one store: `factory` makes a fresh database for each step. */
export function storeConformance(
  name: string,
  factory: () => Promise<StoreSubject>,
  options: StoreSuiteOptions = {},
): void {
  const opts = { claimJobs: 300, ...options };
  Deno.test(`store conformance: ${name}`, async (t) => {
    const auth = authSteps.map(([label, fn]): Step => [label, (c) => fn(c.open)]);
    for (const [label, fn] of [...recordSteps, ...queueSteps, ...pageSteps, ...auth]) {
      await t.step(label, async () => {
        const subject = await factory();
        const opened: Store[] = [];
        const open = async () => {
          const s = subject.connect();
          opened.push(s);
          await s.migrate();
          return s;
        };
        try {
          await fn({ subject, open, opts });
        } finally {
          for (const s of opened) await s.close();
          await subject.cleanup();
        }
      });
    }
  });
}
