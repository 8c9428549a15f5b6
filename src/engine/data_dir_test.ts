import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureDataDir } from "./data_dir.ts";
import { createEngine } from "./engine.ts";
import { writeServiceFiles } from "./service_file.ts";

const posix = Deno.build.os !== "windows";
const mode = async (p: string) => (await Deno.stat(p)).mode! & 0o777;

Deno.test("a new data directory is private (0700)", { ignore: !posix }, async () => {
  const parent = await Deno.makeTempDir();
  try {
    const dir = join(parent, "data");
    const said: string[] = [];
    ensureDataDir(dir, { log: (m) => said.push(m) });
    assert.equal(await mode(dir), 0o700);
    assert.deepEqual(said, []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test(
  "a data directory others may write to or list is made private, saying so",
  { ignore: !posix },
  async () => {
    for (const unsafe of [0o777, 0o775, 0o757, 0o722]) {
      const dir = await Deno.makeTempDir();
      try {
        await Deno.chmod(dir, unsafe);
        const said: string[] = [];
        ensureDataDir(dir, { log: (m) => said.push(m) });
        assert.equal(await mode(dir), 0o700, unsafe.toString(8));
        assert.equal(said.length, 1);
        assert.match(
          said[0]!,
          new RegExp(`mode 0${unsafe.toString(8)}.*made it private \\(0700\\)`),
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
    // One others may only list (0755, the usual umask's) is made private too; one that is
    // private already is left alone, with nothing said.
    const dir = await Deno.makeTempDir();
    try {
      await Deno.chmod(dir, 0o755);
      const said: string[] = [];
      ensureDataDir(dir, { log: (m) => said.push(m) });
      assert.equal(await mode(dir), 0o700);
      assert.deepEqual(said, [
        `the data directory "${dir}" was readable by other users (mode 0755): made it private (0700)`,
      ]);
      ensureDataDir(dir, { log: () => assert.fail("nothing to say") });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "every file the engine writes in the data directory is private",
  { ignore: !posix },
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const engine = await createEngine({ dataDir: dir, log: () => {} });
      await engine.secrets.set("tok", "v"); // creates master.key
      await engine.scripts.create({ name: "s", source: "" });
      await writeServiceFiles(dir, {
        pid: 1,
        listen: "127.0.0.1:1",
        connect: "127.0.0.1:1",
        fingerprint: "x",
        version: "0",
        startedAt: "",
        node: "n",
      }, "token");
      try {
        const files = [];
        for await (const e of Deno.readDir(dir)) files.push(e.name);
        assert.deepEqual(
          files.sort(),
          ["aft.db", "aft.db-shm", "aft.db-wal", "master.key", "service.json", "service.token"],
        );
        for (const f of files) assert.equal(await mode(join(dir, f)), 0o600, f);
      } finally {
        await engine.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
