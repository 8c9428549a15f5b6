import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite.ts";
import { createCore } from "./engine.ts";
import { ownerOf, processOwner } from "./owner.ts";
import { reconcile } from "./service.ts";
import { withEngine } from "./_test_engine.ts";
import { join } from "node:path";

const input = { scriptId: null, scriptName: "s", filePath: null, params: {} };

Deno.test("start-up fails only the running jobs whose process is gone", async () => {
  const dir = await Deno.makeTempDir();
  const store = new SqliteStore(join(dir, "aft.db"));
  await store.migrate();
  const core = createCore(dir, store);
  try {
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", ""] }).spawn();
    const dead = ownerOf(child.pid);
    await child.status;
    const mk = (trigger: "cli" | "api", node: string, owner: string) =>
      store.jobs.create({ ...input, trigger, running: { node, owner } });
    const gone = await mk("cli", core.node, dead);
    const goneService = await mk("api", core.node, dead);
    const alive = await mk("cli", core.node, ownerOf(Deno.ppid));
    const mine = await mk("api", core.node, processOwner());
    const elsewhere = await mk("api", "another-node", dead);
    const old = await store.jobs.create({ ...input, trigger: "api" });
    await store.jobs.claim(core.node, { owner: "x" }); // `old` is claimed: make it ownerless like an old row
    await store.jobs.update(old.id, { owner: null });

    // aft run: ownerless jobs may belong to a live older service, so they stay.
    assert.equal(await reconcile(core, processOwner(), { ownerless: false }), 2);
    const status = async (id: string) => (await store.jobs.get(id))!.status;
    assert.equal(await status(gone.id), "failed");
    assert.equal(await status(goneService.id), "failed");
    assert.equal(await status(alive.id), "running");
    assert.equal(await status(mine.id), "running");
    assert.equal(await status(elsewhere.id), "running");
    assert.equal(await status(old.id), "running");
    assert.match((await store.jobs.get(gone.id))!.error!, /aft run process .* ended unexpectedly/);
    assert.match(
      (await store.jobs.get(goneService.id))!.error!,
      /service stopped while this job was running/,
    );
    assert.match((await store.jobs.logs(gone.id)).at(-1)!.text, /ended unexpectedly/);
    // A service start also fails the ownerless ones of its node, as before owners were kept.
    assert.equal(await reconcile(core, processOwner(), { ownerless: true }), 1);
    assert.equal(await status(old.id), "failed");
  } finally {
    await core.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the service's queue runs a queued job on a runner and reports its duration", async () => {
  await withEngine(async (engine) => {
    await engine.scripts.create({ name: "hello", source: 'Log.Info("hi " + Param("who"));' });
    assert.equal(engine.service.startedAt(), null);
    const before = new Date().toISOString();
    await engine.service.start({ maxIdleRunners: 1, schedules: false });
    assert.ok(engine.service.startedAt()! >= before);
    try {
      const job = await engine.jobs.submit({
        target: { scriptName: "hello" },
        params: { who: "queue" },
        trigger: "api",
        caller: { kind: "local" },
      });
      let end;
      for await (const e of engine.jobs.follow(job.id, { pollMs: 100 })) {
        if (e.type === "end") end = e.job;
      }
      assert.equal(end?.status, "succeeded");
      assert.equal(end?.node, engine.node);
      assert.equal((await engine.jobs.log(job.id)).lines[0]!.text, "hi queue");
      const durations = engine.service.takeDurations();
      assert.deepEqual(durations.map((d) => d.status), ["succeeded"]);
      assert.deepEqual(engine.service.takeDurations(), []);
      assert.equal(engine.service.runningHere(), 0);
    } finally {
      await engine.service.stop();
    }
    assert.equal(engine.service.stopping(), true);
    // A stopping service takes no new jobs.
    await assert.rejects(
      engine.jobs.submit({
        target: { scriptName: "hello" },
        trigger: "api",
        caller: { kind: "local" },
      }),
      /shutting down/,
    );
  });
});

Deno.test("a job run here (aft run) is owned by this process and halts on its signal", async () => {
  await withEngine(async (engine) => {
    const dir = await Deno.makeTempDir();
    try {
      const file = join(dir, "wait.syncjs");
      await Deno.writeTextFile(file, 'Log.Info("waiting"); WaitForHaltSignal(); Log.Info("bye");');
      const job = await engine.jobs.submit({
        target: { filePath: file },
        trigger: "cli",
        caller: { kind: "local" },
        here: true,
      });
      const halt = new AbortController();
      const lines: string[] = [];
      const end = await engine.jobs.execute(job.id, {
        signal: halt.signal,
        onLog: (l) => {
          lines.push(l.text);
          if (l.text === "waiting") halt.abort();
        },
      });
      assert.equal(end.status, "halted");
      assert.ok(lines.includes("bye"), lines.join("\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }, { settings: { allowCliRun: true } });
});
