/**
 * The PostgreSQL store's connection against a real server on 127.0.0.1 with TLS on: sslmode
 * and a CA file, failures as one UNAVAILABLE sentence without the password, a LISTEN connection
 * that the server drops, a database restart, and JSON kept as jsonb objects.
 */

import assert from "node:assert/strict";
import postgres from "postgres";
import { pgOptions } from "../../src/store/postgres/connect.ts";
import { PostgresStore } from "../../src/store/postgres/postgres.ts";
import { StoreError } from "../../src/store/types.ts";
import { type PgServer, startPostgres } from "../fixtures/postgres.ts";

if (Deno.build.os !== "linux") {
  Deno.test({ name: "postgres connection tests (run on Linux)", ignore: true, fn() {} });
} else {
  const pg: PgServer = await startPostgres({ tls: true });
  globalThis.addEventListener("unload", () => {
    pg.stop();
  });
  const base = await pg.createDatabase("aft_connect");
  const withQuery = (q: string) => `${base}?${q}`;

  /** Whether a connection made from `url` uses TLS (asked of the server). */
  const usesTls = async (url: string) => {
    const sql = postgres(pgOptions(url));
    try {
      const [r] = await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`;
      return r?.ssl as boolean;
    } finally {
      await sql.end();
    }
  };

  const unavailable = async (url: string, re: RegExp) => {
    const store = new PostgresStore(url);
    try {
      await assert.rejects(store.migrate(), (e: Error) => {
        assert.ok(e instanceof StoreError && e.code === "UNAVAILABLE", String(e));
        assert.match(e.message, re);
        assert.ok(!e.message.includes(pg.password), "the password is never in the message");
        assert.match(e.message, /Cannot use the store postgres:\/\/aft:\*\*\*@127\.0\.0\.1:/);
        return true;
      });
      // Every method, not only migrate(): the engine answers 503 for them.
      for (
        const call of [
          () => store.scripts.list(),
          () => store.jobs.claim("n"),
          () => store.nodes.list(),
          () => store.signals.notify("job_queued", "x"),
        ]
      ) {
        await assert.rejects(call(), (e) => e instanceof StoreError && e.code === "UNAVAILABLE");
      }
    } finally {
      await store.close();
    }
  };

  Deno.test("postgres: sslmode verify-full with the server's CA file connects over TLS", async () => {
    const url = withQuery(`sslmode=verify-full&sslrootcert=${encodeURIComponent(pg.caFile!)}`);
    assert.equal(await usesTls(url), true);
    const store = new PostgresStore(url);
    try {
      await store.migrate();
      await store.scripts.create({ name: "over TLS", source: "x" });
      assert.equal((await store.scripts.list()).length, 1);
    } finally {
      await store.close();
    }
  });

  Deno.test("postgres: sslmode require, prefer and the default use TLS; disable does not", async () => {
    assert.equal(await usesTls(withQuery("sslmode=require")), true);
    assert.equal(await usesTls(withQuery("sslmode=prefer")), true);
    assert.equal(await usesTls(base), true);
    assert.equal(await usesTls(withQuery("sslmode=disable")), false);
  });

  Deno.test("postgres: verify-full against a certificate no trusted CA signed is refused, saying so", async () => {
    await unavailable(withQuery("sslmode=verify-full&connect_timeout=10"), /certificate/i);
  });

  Deno.test("postgres: a wrong password is refused as UNAVAILABLE without the password", async () => {
    const wrong = base.replace(encodeURIComponent(pg.password), "not-the-password");
    const store = new PostgresStore(wrong);
    try {
      await assert.rejects(store.migrate(), (e: Error) => {
        assert.ok(e instanceof StoreError && e.code === "UNAVAILABLE", String(e));
        assert.match(e.message, /password authentication failed for user "aft"/);
        assert.doesNotMatch(e.message, /not-the-password/);
        return true;
      });
    } finally {
      await store.close();
    }
  });

  Deno.test("postgres: no server on the port, or no such database, is UNAVAILABLE", async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    await unavailable(base.replace(`:${pg.port}/`, `:${port}/`), /ECONNREFUSED|refused/i);
    await unavailable(
      base.replace(/\/aft_connect$/, "/no_such_db"),
      /database "no_such_db" does not exist/,
    );
  });

  Deno.test("postgres: JSON columns hold jsonb objects, not JSON text", async () => {
    const store = new PostgresStore(await pg.createDatabase());
    try {
      await store.migrate();
      await store.settings.set("localRoots", ["/a"]);
      const j = await store.jobs.create({
        scriptId: null,
        scriptName: "s",
        filePath: null,
        params: { k: "v" },
        trigger: "api",
      });
      await store.jobs.update(j.id, { params: { k: "w" } });
      const db = new URL(store.location.replace("***", "x")).pathname.slice(1);
      assert.equal(
        await pg.psql(
          "SELECT jsonb_typeof(params) || ' ' || (params->>'k') || ' ' || (SELECT jsonb_typeof(value) FROM settings) FROM jobs",
          db,
        ),
        "object w array",
      );
    } finally {
      await store.close();
    }
  });

  Deno.test("postgres: a LISTEN connection the server drops listens again and hears new jobs", async () => {
    const url = await pg.createDatabase();
    const a = new PostgresStore(url);
    const b = new PostgresStore(url);
    try {
      await a.migrate();
      let listening = 0;
      let relistened!: () => void;
      const again = new Promise<void>((r) => relistened = r);
      const heard: string[] = [];
      let hear!: () => void;
      const heardOne = new Promise<void>((r) => hear = r);
      const stop = await a.signals.listen("job_queued", (id) => {
        heard.push(id);
        hear();
      }, {
        onListen: () => {
          if (++listening === 2) relistened();
        },
      });
      const db = new URL(url).pathname.slice(1);
      const killed = await pg.psql(
        `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${db}' AND query ILIKE 'listen%'`,
      );
      assert.equal(killed, "1");
      await again;
      const job = await b.jobs.create({
        scriptId: null,
        scriptName: "s",
        filePath: null,
        params: {},
        trigger: "api",
      });
      await heardOne;
      assert.deepEqual(heard, [job.id]);
      await stop();
    } finally {
      await a.close();
      await b.close();
    }
  });

  Deno.test("postgres: the store carries on after the database was away, and listens again", async () => {
    // Away for longer than a connection attempt may take: listening is retried until it works.
    const store = new PostgresStore(`${await pg.createDatabase()}?connect_timeout=1`);
    try {
      await store.migrate();
      await store.scripts.create({ name: "before", source: "x" });
      let listening = 0;
      let relistened!: () => void;
      const again = new Promise<void>((r) => relistened = r);
      let heard!: (id: string) => void;
      const heardJob = new Promise<string>((r) => heard = r);
      const stop = await store.signals.listen("job_queued", heard, {
        onListen: () => ++listening === 2 && relistened(),
      });
      await pg.restart({ downMs: 3000 });
      // The pool's connections died with the server; the next query opens a new one. A query
      // racing the restart may fail once: the caller (the queue) retries on its next pass.
      let names: string[] | undefined;
      for (let i = 0; i < 3 && !names; i++) {
        names = await store.scripts.list().then((l) => l.map((s) => s.name), () => undefined);
      }
      assert.deepEqual(names, ["before"]);
      await store.scripts.create({ name: "after", source: "y" });
      assert.equal((await store.scripts.list()).length, 2);
      await again;
      const job = await store.jobs.create({
        scriptId: null,
        scriptName: "s",
        filePath: null,
        params: {},
        trigger: "api",
      });
      assert.equal(await heardJob, job.id);
      await stop();
    } finally {
      await store.close();
    }
  });
  Deno.test("postgres: calls right after the server ended every connection (a restart) succeed", async () => {
    const url = await pg.createDatabase();
    const store = new PostgresStore(url);
    try {
      await store.migrate();
      // Several connections in the pool, all idle, then the server restarted: the next calls
      // meet connections the server ended (57P01) while they sat in the pool.
      await Promise.all(Array.from({ length: 6 }, () => store.scripts.list()));
      await pg.restart({ downMs: 1000 });
      const made = await Promise.all(
        Array.from(
          { length: 6 },
          (_, i) => store.scripts.create({ name: `after ${i}`, source: "x" }),
        ),
      );
      assert.equal(made.length, 6);
      assert.equal((await store.scripts.list()).length, 6, "each made once");
    } finally {
      await store.close();
    }
  });
}
