import assert from "node:assert/strict";
import { join } from "node:path";
import { testConsole } from "./_test_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "VFS Library: a disk entry added from its form, tested in one sentence, deleted",
  ...opts,
  async fn() {
    const t = await testConsole();
    const dir = await Deno.makeTempDir({ prefix: "aft-ui-vfs-" });
    try {
      assert.match((await t.get("/vfs")).html, /The library is empty/);
      assert.equal((await t.get("/vfs/new?type=disk")).status, 200);
      const add = await t.post("/vfs", { type: "disk", name: "Box", target: dir });
      assert.equal(add.status, 303, add.html);
      await Deno.writeTextFile(join(dir, "a.txt"), "a");
      const tested = await t.post("/vfs/Box/test");
      assert.equal(tested.status, 200);
      assert.match(
        tested.html,
        /VFS &quot;Box&quot; answers: 1 entry at its root\.|VFS "Box" answers: 1 entry/,
      );
      const refused = await t.post("/vfs", { type: "disk", name: "No", target: join(dir, "no") });
      assert.equal(refused.status, 400, "a folder that is not there is refused");
      await Deno.mkdir(join(dir, "gone"));
      const gone = await t.post("/vfs", { type: "disk", name: "Gone", target: join(dir, "gone") });
      assert.equal(gone.status, 303);
      await Deno.remove(join(dir, "gone"));
      const failed = await t.post("/vfs/Gone/test");
      assert.match(failed.html, /class="notice error"/);
      const dup = await t.post("/vfs", { type: "disk", name: "box", target: dir });
      assert.equal(dup.status, 409, dup.html);
      assert.equal((await t.post("/vfs/Gone/delete")).status, 303);
      assert.deepEqual((await t.engine.vfs.list()).map((v) => v.name), ["Box"]);
    } finally {
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "file browser: upload with the CSRF header, list, download, make a folder, rename, delete",
  ...opts,
  async fn() {
    const t = await testConsole();
    const dir = await Deno.makeTempDir({ prefix: "aft-ui-vfs-" });
    try {
      await t.engine.vfs.add({ name: "box", type: "disk", target: dir, options: {} });
      assert.match((await t.get("/vfs/box/browse")).html, /This folder is empty/);
      const csrf = await t.csrf();
      const name = '<b>"x".txt';
      const put = (token: string | undefined, overwrite = false) =>
        t.request(
          `/vfs/box/upload?path=${encodeURIComponent(`/${name}`)}${
            overwrite ? "&overwrite=1" : ""
          }`,
          {
            method: "PUT",
            // A browser sends the length of a file it uploads.
            headers: { "Content-Length": "5", ...(token ? { "X-CSRF-Token": token } : {}) },
            body: "hello",
          },
        );
      assert.equal((await put(undefined)).status, 403);
      const up = await put(csrf);
      assert.equal(up.status, 201, await up.clone().text());
      assert.equal(await Deno.readTextFile(join(dir, name)), "hello");
      assert.equal((await put(csrf)).status, 409, "no overwrite unless asked");
      assert.equal((await put(csrf, true)).status, 201);

      // Which names the folder has, for the upload form's question.
      const ask = async (q: string) => {
        const r = await t.request(`/vfs/box/existing?${q}`);
        return { status: r.status, body: await r.json() };
      };
      assert.deepEqual(
        await ask(`path=/&name=${encodeURIComponent(name)}&name=other.txt`),
        { status: 200, body: { existing: [name] } },
      );
      assert.deepEqual(await ask("path=/nope&name=a"), { status: 200, body: { existing: [] } });
      assert.equal((await ask(`path=/&${"name=a&".repeat(1001)}`)).status, 400);
      assert.equal((await ask("path=/&name=..")).status, 400);

      const page = await t.get("/vfs/box/browse?path=/");
      assert.ok(!page.html.includes("<b>"), "the name is escaped");
      assert.ok(page.html.includes("&lt;b&gt;"));

      const down = await t.request(`/vfs/box/download?path=${encodeURIComponent(`/${name}`)}`);
      assert.equal(await down.text(), "hello");
      assert.match(
        down.headers.get("Content-Disposition")!,
        /^attachment; filename="<b>_x_.txt"; filename\*=UTF-8''%3Cb%3E%22x%22.txt$/,
      );

      const mk = await t.post("/vfs/box/mkdir", { dir: "/", name: "in" });
      assert.equal(mk.status, 303, mk.html);
      assert.equal(mk.location, "/vfs/box/browse?path=%2F&made=1");
      const mv = await t.post("/vfs/box/rename", { dir: "/", from: name, to: "plain.txt" });
      assert.equal(mv.status, 303, mv.html);
      assert.equal(await Deno.readTextFile(join(dir, "plain.txt")), "hello");
      await Deno.remove(join(dir, "a.txt")).catch(() => {});
      const sneaky = await t.post("/vfs/box/rename", { dir: "/", from: "plain.txt", to: "../x" });
      assert.equal(sneaky.status, 400);
      const out = await t.get(`/vfs/box/browse?path=${encodeURIComponent("/../..")}`);
      assert.notEqual(out.status, 200);
      const rm = await t.post("/vfs/box/remove", { path: "/in" });
      assert.equal(rm.status, 303);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["plain.txt"]);
    } finally {
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "VFS Library: an Azure entry's form takes a SAS token and an idle timeout, and refuses a bad one with what is wrong",
  ...opts,
  async fn() {
    const t = await testConsole();
    try {
      const form = await t.get("/vfs/new?type=azure");
      for (const field of ["opt.sasToken", "opt.sasTokenSecret", "opt.idleTimeoutSeconds"]) {
        assert.match(form.html, new RegExp(`name="${field}"`), field);
      }
      const fields = { type: "azure", name: "Blobs", target: "azure://acct/box" };
      const bad = await t.post("/vfs", { ...fields, "opt.idleTimeoutSeconds": "0" });
      assert.equal(bad.status, 400, bad.html);
      assert.match(bad.html, /The &quot;idleTimeoutSeconds&quot; option must be a whole number/);
      const ok = await t.post("/vfs", {
        ...fields,
        "opt.sasToken": "sv=2024&sig=abc",
        "opt.idleTimeoutSeconds": "60",
      });
      assert.equal(ok.status, 303, ok.html);
      assert.deepEqual((await t.engine.vfs.get("Blobs")).options, {
        sasToken: "***",
        idleTimeoutSeconds: "60",
      });
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "file browser: a folder of 451 entries is shown 200 at a time, in order, with links that keep the path",
  ...opts,
  async fn() {
    const t = await testConsole();
    const dir = await Deno.makeTempDir({ prefix: "aft-ui-vfs-" });
    try {
      await Deno.mkdir(join(dir, "big folder"));
      await Deno.mkdir(join(dir, "big folder", "sub"));
      for (let i = 0; i < 450; i++) {
        await Deno.writeTextFile(join(dir, "big folder", `f${String(i).padStart(4, "0")}.txt`), "");
      }
      await t.engine.vfs.add({ name: "box", type: "disk", target: dir, options: {} });
      const path = encodeURIComponent("/big folder");
      const rows = (html: string) =>
        [...html.matchAll(/<td class="file-name">.*?<a href="[^"]*">([^<]*)<\/a>/g)].map((m) =>
          m[1]
        );
      const first = await t.get(`/vfs/box/browse?path=${path}`);
      assert.equal(first.status, 200);
      assert.equal(rows(first.html).length, 200);
      assert.deepEqual(rows(first.html).slice(0, 2), ["sub", "f0000.txt"], "folders first");
      assert.match(first.html, /Showing 1–200 of 451 entries/);
      const next = `/vfs/box/browse?path=${path.replace("%20", "+")}&amp;page=2`;
      assert.ok(first.html.includes(`href="${next}"`), "a link to the next page keeps the path");
      assert.ok(!first.html.includes(">Previous<"));

      const second = await t.get(`/vfs/box/browse?path=${path}&page=2`);
      assert.deepEqual(rows(second.html).slice(0, 1), ["f0199.txt"]);
      assert.match(second.html, /Showing 201–400 of 451 entries/);
      assert.match(second.html, />Previous</);

      const last = await t.get(`/vfs/box/browse?path=${path}&page=3`);
      assert.equal(rows(last.html).length, 51);
      assert.equal(rows(last.html).at(-1), "f0449.txt");
      assert.match(last.html, /Showing 401–451 of 451 entries/);
      assert.ok(!last.html.includes(">Next<"));
      const past = await t.get(`/vfs/box/browse?path=${path}&page=40`);
      assert.match(past.html, /Showing 401–451/, "past the end: the last page");
      const bad = await t.get(`/vfs/box/browse?path=${path}&page=0`);
      assert.equal(bad.status, 400);
      assert.match(bad.html, /is not a page number/);

      const small = await t.get("/vfs/box/browse?path=/");
      assert.match(small.html, /1 entry/);
      assert.ok(!small.html.includes(">Next<"));
    } finally {
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "file browser: downloading a folder, a missing file or a bad path answers 400 or 404 saying what is wrong, with nothing logged",
  ...opts,
  async fn() {
    const t = await testConsole();
    const dir = await Deno.makeTempDir({ prefix: "aft-ui-vfs-" });
    const logged: unknown[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => logged.push(args);
    try {
      await Deno.mkdir(join(dir, "x"));
      await t.engine.vfs.add({ name: "box", type: "disk", target: dir, options: {} });
      const cases: [string, number, RegExp][] = [
        ["/x", 400, /&quot;\/x&quot; is a folder: only files can be downloaded/],
        ["/", 400, /The path cannot be the root/],
        ["", 400, /Give the path/],
        ["/../..", 400, /class="notice error"/],
        ["/nope.txt", 404, /nope\.txt/],
      ];
      for (const [path, status, message] of cases) {
        const res = await t.get(`/vfs/box/download?path=${encodeURIComponent(path)}`);
        assert.equal(res.status, status, `${path}: ${res.html.slice(0, 200)}`);
        assert.match(res.headers.get("Content-Type") ?? "", /^text\/html/);
        assert.match(res.html, message, path);
      }
      assert.deepEqual(logged, [], "no stack trace in the service's log");
    } finally {
      console.error = error;
      await t.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
