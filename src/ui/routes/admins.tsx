/**
 * The Admins page's routes: the list, adding an admin, removing one (their sessions end; the
 * last cannot go), and the signed-in admin's own password and two-factor sign-in. Every change
 * goes through `engine.as(actorOf(c))`, so the audit log says who made it.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import type { AdminView } from "../../engine/mod.ts";
import { renderPage } from "../layout.tsx";
import { type AdminsData, AdminsPage } from "../pages/admins.tsx";
import type { Message } from "../pages/signin.tsx";
import { actorOf, clearSessionCookie, type ConsoleAdmin, sessionOf } from "../session.ts";
import { type AuthDeps, formFields, refused } from "./_auth_deps.ts";

const DONE: Record<string, (name: string) => string> = {
  added: (n) => `Added the administrator "${n}"`,
  removed: (n) => `Removed the administrator "${n}"; their sessions have ended`,
  password: () => "Your password is changed; your other sessions have ended",
  "totp-on": () => "Two-factor sign-in is on",
  "totp-off": () => "Two-factor sign-in is off",
};

const FOR: Record<string, AdminsData["messageFor"]> = {
  added: "add",
  removed: "list",
  password: "password",
  "totp-on": "totp",
  "totp-off": "totp",
};

/** The admin routes. */
export function adminRoutes(deps: AuthDeps): Hono {
  const { engine } = deps;
  const app = new Hono();
  const meOf = (c: Context) => c.get("admin") as ConsoleAdmin;

  const page = async (
    c: Context,
    extra: Partial<AdminsData> = {},
    status: 200 | 400 | 401 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const admins = await engine.admins.list();
    const sessions: Record<string, number> = {};
    for (const s of await engine.sessions.list()) {
      sessions[s.adminId] = (sessions[s.adminId] ?? 0) + 1;
    }
    const me = admins.find((a) => a.id === meOf(c).id) ?? (await engine.admins.get(meOf(c).id));
    const data: AdminsData = { admins, sessions, me: me as AdminView, ...extra };
    return renderPage(c, AdminsPage({ ui: await deps.uiState(c), data }), status);
  };
  const error = (text: string, form: AdminsData["messageFor"]): Partial<AdminsData> => ({
    message: { kind: "error", text } satisfies Message,
    messageFor: form,
  });

  app.get("/", (c) => {
    const done = Object.keys(DONE).find((k) => c.req.query(k) !== undefined);
    if (!done) return page(c);
    return page(c, {
      message: { kind: "success", text: DONE[done]!(c.req.query(done) ?? "") },
      messageFor: FOR[done],
    });
  });

  app.post("/", async (c) => {
    const f = await formFields(c);
    if ((f.password ?? "") !== (f.password2 ?? "")) {
      return page(c, {
        ...error("The two passwords differ: type the same one twice", "add"),
        addUsername: f.username,
      }, 400);
    }
    try {
      const a = await engine.as(actorOf(c)).admins.create({
        username: f.username ?? "",
        password: f.password ?? "",
      });
      return c.redirect(`/admins?added=${encodeURIComponent(a.username)}`, 303);
    } catch (err) {
      const e = refused(err);
      return page(c, { ...error(e.text, "add"), addUsername: f.username }, e.status);
    }
  });

  app.post("/:id/remove", async (c) => {
    try {
      const a = await engine.as(actorOf(c)).admins.remove(c.req.param("id"));
      if (a.id === meOf(c).id) {
        clearSessionCookie(c);
        return c.redirect("/signin", 303);
      }
      return c.redirect(`/admins?removed=${encodeURIComponent(a.username)}`, 303);
    } catch (err) {
      const e = refused(err);
      return page(c, error(e.text, "list"), e.status);
    }
  });

  app.post("/password", async (c) => {
    const f = await formFields(c);
    if ((f.next ?? "") !== (f.next2 ?? "")) {
      return page(
        c,
        error("The two new passwords differ: type the same one twice", "password"),
        400,
      );
    }
    try {
      await engine.as(actorOf(c)).admins.changePassword(meOf(c).id, {
        current: f.current ?? "",
        next: f.next ?? "",
        keepSession: sessionOf(c)?.id,
      });
      return c.redirect("/admins?password#account", 303);
    } catch (err) {
      const e = refused(err);
      return page(c, error(e.text, "password"), e.status);
    }
  });

  app.post("/totp/begin", async (c) => {
    const enrol = await engine.admins.totpBegin(meOf(c).id);
    return page(c, { enrol });
  });

  app.post("/totp/confirm", async (c) => {
    const f = await formFields(c);
    try {
      await engine.as(actorOf(c)).admins.totpConfirm(meOf(c).id, f.code ?? "");
      return c.redirect("/admins?totp-on#two-factor", 303);
    } catch (err) {
      const e = refused(err);
      const enrol = await engine.admins.totpPending(meOf(c).id);
      return page(c, { ...error(e.text, "totp"), enrol }, e.status);
    }
  });

  app.post("/totp/disable", async (c) => {
    const f = await formFields(c);
    try {
      await engine.as(actorOf(c)).admins.totpDisable(meOf(c).id, f.password ?? "");
      return c.redirect("/admins?totp-off#two-factor", 303);
    } catch (err) {
      const e = refused(err);
      return page(c, error(e.text, "totp"), e.status);
    }
  });

  return app;
}
