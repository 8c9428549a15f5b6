/**
 * The VFS Library routes: list, add and change (a form per backend type; credentials never
 * sent back to the browser), test the connection, remove; and the file browser: a folder (a
 * page of it at a time: `?page=N`), download (streamed), upload (streamed from the request
 * body to the backend, `PUT` with the CSRF header, kept only when every byte arrived), make a
 * folder, rename, delete.
 *
 * @module
 */

import { Hono } from "hono";
import {
  contentDisposition,
  EngineError,
  isCredentialOption,
  isVfsOption,
  type VfsType,
  type VfsView,
} from "../../engine/mod.ts";
import type { ConsoleEnv } from "../env.ts";
import { renderPage } from "../layout.tsx";
import { type TestResult, VfsFormPage, VfsListPage } from "../pages/vfs.tsx";
import {
  BROWSE_PAGE_SIZE,
  type BrowsePaging,
  browsePaging,
  VfsBrowsePage,
} from "../pages/vfs_browse.tsx";
import { BACKEND_FORMS, type BackendForm, backendForm } from "../vfs_forms.ts";
import {
  type Ctx,
  type Form,
  formOf,
  href,
  opsFor,
  refusal,
  type RouteDeps,
  seg,
} from "./_common.ts";

/** The options a form sent (`opt.KEY`), and the credentials to remove (`clear.KEY`). */
function optionsOf(form: Form, backend: BackendForm) {
  const options: Record<string, string> = {};
  const clear: string[] = [];
  for (const o of backend.options) {
    options[o.key] = form.get(`opt.${o.key}`).trim();
    if (form.checked(`clear.${o.key}`)) clear.push(o.key);
  }
  return { options, clear };
}

/** What a form shows of options: never a credential's value. */
const shown = (options: Record<string, string>) =>
  Object.fromEntries(Object.entries(options).filter(([k]) => !isCredentialOption(k)));

/** The VFS routes over `deps`. */
export function vfsRoutes(deps: RouteDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const { engine } = deps;
  const secretNames = async () => (await engine.secrets.list()).map((s) => s.name);

  const list = async (c: Ctx, test?: TestResult, status: 200 | 400 | 404 | 500 = 200) =>
    renderPage(
      c,
      VfsListPage({
        ui: await deps.uiState(c),
        entries: await engine.vfs.list(),
        test,
        query: c.req.query(),
      }),
      status,
    );

  const formPage = async (
    c: Ctx,
    p: {
      form: BackendForm;
      entry?: VfsView;
      values: { name: string; target: string; options: Record<string, string> };
      error?: string;
    },
    status: 200 | 400 | 403 | 404 | 409 | 500 = 200,
  ) =>
    renderPage(
      c,
      VfsFormPage({ ui: await deps.uiState(c), secrets: await secretNames(), ...p }),
      status,
    );

  app.get("/vfs", (c) => list(c));

  app.get("/vfs/new", (c) => {
    const form = backendForm(c.req.query("type") ?? "disk") ?? BACKEND_FORMS[0]!;
    return formPage(c, { form, values: { name: "", target: "", options: {} } });
  });

  app.post("/vfs", async (c) => {
    const f = await formOf(c);
    const form = backendForm(f.get("type")) ?? BACKEND_FORMS[0]!;
    const { options } = optionsOf(f, form);
    const values = { name: f.get("name"), target: f.get("target").trim(), options };
    try {
      await opsFor(deps, c).vfs.add({
        name: values.name,
        type: form.type as VfsType,
        target: values.target,
        options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== "")),
      });
      return c.redirect("/vfs?added", 303);
    } catch (err) {
      const r = refusal(err);
      return formPage(
        c,
        { form, values: { ...values, options: shown(options) }, error: r.message },
        r.status,
      );
    }
  });

  app.get("/vfs/:name/edit", async (c) => {
    const entry = await engine.vfs.get(c.req.param("name"));
    const form = backendForm(entry.type) ?? BACKEND_FORMS[0]!;
    return formPage(c, {
      form,
      entry,
      values: { name: entry.name, target: entry.target, options: shown(entry.options) },
    });
  });

  app.post("/vfs/:name", async (c) => {
    const entry = await engine.vfs.get(c.req.param("name"));
    const form = backendForm(entry.type) ?? BACKEND_FORMS[0]!;
    const f = await formOf(c);
    const { options, clear } = optionsOf(f, form);
    // Options of the entry that its form does not show are kept as they are (one its type
    // does not read, stored before options were checked, goes: see VfsOps.update).
    for (const [k, v] of Object.entries(entry.options)) {
      if (!(k in options) && !isCredentialOption(k) && isVfsOption(entry.type, k)) options[k] = v;
    }
    const values = { name: f.get("name"), target: f.get("target").trim(), options };
    try {
      await opsFor(deps, c).vfs.update(entry.name, { ...values, clear });
      return c.redirect("/vfs?saved", 303);
    } catch (err) {
      const r = refusal(err);
      return formPage(
        c,
        { form, entry, values: { ...values, options: shown(options) }, error: r.message },
        r.status,
      );
    }
  });

  app.post("/vfs/:name/test", async (c) => {
    const name = c.req.param("name");
    try {
      const t = await opsFor(deps, c).vfs.test(name);
      return list(c, {
        ok: true,
        message: `VFS "${t.name}" answers: ${t.entries} entr${
          t.entries === 1 ? "y" : "ies"
        } at its root.`,
      });
    } catch (err) {
      const r = refusal(err);
      return list(c, { ok: false, message: r.message }, r.status === 404 ? 404 : 200);
    }
  });

  app.post("/vfs/:name/delete", async (c) => {
    await opsFor(deps, c).vfs.remove(c.req.param("name"));
    return c.redirect("/vfs?deleted", 303);
  });

  // ---- the file browser ----------------------------------------------------------------

  const browse = (name: string, path: string, done?: string) =>
    href(`/vfs/${seg(name)}/browse`, { path, ...(done ? { [done]: "1" } : {}) });

  /** One page of the folder `path`: its entries and where they are in the folder. */
  const folderPage = async (vfs: string, path: string, page: number) => {
    const listing = await engine.vfs.files.list(vfs, path);
    const paging: BrowsePaging = browsePaging(listing.entries.length, page);
    const entries = listing.entries.slice(paging.start, paging.start + BROWSE_PAGE_SIZE);
    return { path: listing.path, entries, paging };
  };

  app.get("/vfs/:name/browse", async (c) => {
    const entry = await engine.vfs.get(c.req.param("name"));
    const path = c.req.query("path") || "/";
    let shown: Awaited<ReturnType<typeof folderPage>> | null = null;
    let error: string | undefined;
    let status: 200 | 400 | 403 | 404 | 409 | 500 = 200;
    try {
      const page = c.req.query("page") ?? "1";
      if (!/^[1-9][0-9]{0,8}$/.test(page)) {
        throw new EngineError(
          "INVALID_REQUEST",
          `"${page}" is not a page number: give a whole number from 1`,
        );
      }
      shown = await folderPage(entry.name, path, Number(page));
    } catch (err) {
      ({ message: error, status } = refusal(err));
    }
    return renderPage(
      c,
      VfsBrowsePage({
        ui: await deps.uiState(c),
        vfs: entry.name,
        path: shown?.path ?? path,
        entries: shown?.entries ?? null,
        paging: shown?.paging,
        error,
        query: c.req.query(),
      }),
      status,
    );
  });

  app.get("/vfs/:name/download", async (c) => {
    const name = c.req.param("name");
    const path = c.req.query("path") ?? "";
    let download;
    try {
      download = await engine.vfs.files.download(name, path);
    } catch (err) {
      // A folder, a file that is not there, a path that is not one: said on the page of the
      // folder it was asked from (the error page is for failures of the console itself).
      const r = refusal(err);
      const entry = await engine.vfs.get(name);
      return renderPage(
        c,
        VfsBrowsePage({
          ui: await deps.uiState(c),
          vfs: entry.name,
          path: path.replace(/\/[^/]*$/, "") || "/",
          entries: null,
          error: r.message,
          query: {},
        }),
        r.status,
      );
    }
    const { file, body } = download;
    return new Response(body, {
      headers: {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(file.size),
        "Content-Disposition": contentDisposition(file.name),
      },
    });
  });

  // The names of an upload the folder already has, asked before it starts (the page knows only
  // the names on the page it shows): `?path=DIR&name=A&name=B`, at most 1,000 names.
  app.get("/vfs/:name/existing", async (c) => {
    const names = c.req.queries("name") ?? [];
    try {
      if (names.length > 1000) {
        throw new EngineError("INVALID_REQUEST", "At most 1,000 names can be asked at once");
      }
      const existing = await engine.vfs.files.existing(
        c.req.param("name"),
        c.req.query("path") ?? "/",
        names,
      );
      return c.json({ existing });
    } catch (err) {
      const r = refusal(err);
      return c.json({ error: { message: r.message } }, r.status);
    }
  });

  app.put("/vfs/:name/upload", async (c) => {
    const size = Number(c.req.header("Content-Length"));
    if (!Number.isSafeInteger(size) || size < 0) {
      return c.json(
        { error: { code: "LENGTH_REQUIRED", message: "An upload needs its length" } },
        411,
      );
    }
    try {
      const file = await opsFor(deps, c).vfs.files.upload(
        c.req.param("name"),
        c.req.query("path") ?? "",
        c.req.raw.body ?? ReadableStream.from([]),
        { overwrite: c.req.query("overwrite") === "1", size },
      );
      return c.json(file, 201);
    } catch (err) {
      const r = refusal(err);
      return c.json({ error: { message: r.message } }, r.status);
    }
  });

  app.post(
    "/vfs/:name/upload",
    (c) => c.text("Uploading needs the page's script: reload the page and try again", 400),
  );

  /**
   * A file action's form: the path and names it acts on come in the query of its URL (the
   * browser page puts them there, where nothing changes them), or else as fields.
   */
  const actionForm = async (c: Ctx) => {
    const f = await formOf(c);
    const get = (k: string) => c.req.query(k) ?? f.get(k);
    return { get };
  };

  const fileAction = (
    path: string,
    run: (c: Ctx, name: string, f: Pick<Form, "get">) => Promise<{ dir: string; done: string }>,
  ) =>
    app.post(path, async (c) => {
      const name = c.req.param("name")!;
      const f = await actionForm(c);
      try {
        const { dir, done } = await run(c, name, f);
        return c.redirect(browse(name, dir, done), 303);
      } catch (err) {
        const r = refusal(err);
        const dir = f.get("dir") || "/";
        let shown = null;
        try {
          shown = await folderPage(name, dir, 1);
        } catch { /* shown as the error above */ }
        return renderPage(
          c,
          VfsBrowsePage({
            ui: await deps.uiState(c),
            vfs: name,
            path: dir,
            entries: shown?.entries ?? null,
            paging: shown?.paging,
            error: r.message,
            query: {},
          }),
          r.status,
        );
      }
    });

  const join = (dir: string, name: string) => `${dir.replace(/\/+$/, "")}/${name}`;
  const plainName = (n: string) => {
    if (n === "" || n === "." || n === ".." || n.includes("/")) {
      throw new EngineError("INVALID_REQUEST", `"${n}" is not a file name: give one without "/"`);
    }
    return n;
  };

  fileAction("/vfs/:name/mkdir", async (c, name, f) => {
    const dir = f.get("dir") || "/";
    await opsFor(deps, c).vfs.files.mkdir(name, join(dir, plainName(f.get("name").trim())));
    return { dir, done: "made" };
  });

  fileAction("/vfs/:name/rename", async (c, name, f) => {
    const dir = f.get("dir") || "/";
    await opsFor(deps, c).vfs.files.rename(
      name,
      join(dir, plainName(f.get("from"))),
      join(dir, plainName(f.get("to").trim())),
    );
    return { dir, done: "renamed" };
  });

  fileAction("/vfs/:name/remove", async (c, name, f) => {
    const path = f.get("path");
    await opsFor(deps, c).vfs.files.remove(name, path);
    const dir = path.replace(/\/[^/]*$/, "") || "/";
    return { dir, done: "deleted" };
  });

  return app;
}
