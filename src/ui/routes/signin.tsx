/**
 * The routes before sign-in, and sign-out: `/signin` (user name and password, then `/signin/code`
 * for an admin with two-factor sign-in), `/setup` (the wizard, while no admin exists), and
 * `POST /signout`. Their forms carry the pre-session CSRF token; a session is opened only by
 * `engine.sessions` or `engine.setup`, whose rules (throttling, loopback, setup codes) live in
 * the engine.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { renderPage } from "../layout.tsx";
import { CodePage, type Message, SetupPage, SignInPage } from "../pages/signin.tsx";
import { isLoopback } from "../../engine/mod.ts";
import { checkCsrf, csrfSecret } from "../csrf.ts";
import {
  clearSessionCookie,
  presentedCsrf,
  presessionCsrf,
  presessionValid,
  remoteIp,
  safeNext,
  sameOrigin,
  sessionToken,
  setSessionCookie,
} from "../session.ts";
import { type AuthDeps, formFields, refused } from "./_auth_deps.ts";

const EXPIRED_FORM: Message = {
  kind: "error",
  text: "The form had expired (or came from another site): please try again",
};

/** The largest sign-in, code or setup form accepted, in bytes. */
export const SIGN_IN_FORM_MAX = 16 * 1024;

/** The routes of sign-in, two-factor, setup and sign-out. */
export function signInRoutes(deps: AuthDeps): Hono {
  const { engine } = deps;
  const app = new Hono();

  // The forms anyone may send before signing in are small: a larger body is refused as it
  // arrives, before it is read whole (200 MiB sent to /signin took the service from 172 to
  // 935 MiB of memory, without a session).
  const small = bodyLimit({
    maxSize: SIGN_IN_FORM_MAX,
    onError: (c) => c.text("The form is too large", 413),
  });
  for (const path of ["/signin", "/signin/code", "/setup"]) app.post(path, small);

  /** The page state before sign-in: the pre-session CSRF token for the form. */
  const preState = async (c: Context) => ({
    ...(await deps.uiState(c)),
    admin: null,
    csrfToken: await presessionCsrf(c),
  });

  const signInPage = async (
    c: Context,
    o: { next: string; username?: string; message?: Message },
    status: 200 | 400 | 401 | 403 | 429 = 200,
  ) => renderPage(c, SignInPage({ ui: await preState(c), ...o }), status);

  app.get("/signin", async (c) => {
    if (await engine.setup.needed()) return c.redirect("/setup", 303);
    const next = safeNext(c.req.query("next"));
    const token = sessionToken(c);
    if (token && await engine.sessions.check(token)) return c.redirect(next, 303);
    const message: Message | undefined = c.req.query("ended") !== undefined
      ? { kind: "info", text: "Your session has ended: sign in again" }
      : c.req.query("out") !== undefined
      ? { kind: "success", text: "You are signed out" }
      : undefined;
    return signInPage(c, { next, message });
  });

  app.post("/signin", async (c) => {
    const f = await formFields(c);
    const next = safeNext(f.next);
    if (!(await presessionValid(c))) {
      return signInPage(c, { next, username: f.username, message: EXPIRED_FORM }, 403);
    }
    try {
      const r = await engine.sessions.signIn({
        username: f.username ?? "",
        password: f.password ?? "",
        ip: remoteIp(c),
      });
      if (r.status === "totp") {
        return renderPage(
          c,
          CodePage({ ui: await preState(c), ticket: r.ticket, next, username: r.username }),
        );
      }
      setSessionCookie(c, r.token, r.session.expiresAt);
      return c.redirect(next, 303);
    } catch (err) {
      const e = refused(err);
      return signInPage(
        c,
        { next, username: f.username, message: { kind: "error", text: e.text } },
        e.status === 429 ? 429 : 401,
      );
    }
  });

  app.post("/signin/code", async (c) => {
    const f = await formFields(c);
    const next = safeNext(f.next);
    const again = async (text: string, status: 401 | 403 | 429) =>
      renderPage(
        c,
        CodePage({
          ui: await preState(c),
          ticket: f.ticket ?? "",
          next,
          username: f.username ?? "",
          message: { kind: "error", text },
        }),
        status,
      );
    if (!(await presessionValid(c))) return again(EXPIRED_FORM.text, 403);
    try {
      const s = await engine.sessions.signInTotp({
        ticket: f.ticket ?? "",
        code: f.code ?? "",
        ip: remoteIp(c),
      });
      setSessionCookie(c, s.token, s.session.expiresAt);
      return c.redirect(next, 303);
    } catch (err) {
      const e = refused(err);
      if (e.status === 401 && /expired|not started/.test(e.text)) {
        return signInPage(c, { next, message: { kind: "error", text: e.text } }, 401);
      }
      return again(e.text, e.status === 429 ? 429 : 401);
    }
  });

  const setupPage = async (
    c: Context,
    o: { username?: string; message?: Message },
    status: 200 | 400 | 401 | 403 | 409 | 429 = 200,
  ) => {
    const needsCode = !isLoopback(remoteIp(c));
    // A caller from elsewhere needs a code: print one in the service's log if none is valid.
    if (needsCode && !(await engine.setup.hasCode())) {
      const code = await engine.setup.issueCode();
      if (code) {
        deps.log(
          `setup wizard opened from ${remoteIp(c)}: the setup code is ${code} (valid 24 hours)`,
        );
      }
    }
    return renderPage(c, SetupPage({ ui: await preState(c), needsCode, ...o }), status);
  };

  app.get("/setup", async (c) => {
    if (!(await engine.setup.needed())) return c.redirect("/signin", 303);
    return setupPage(c, {});
  });

  app.post("/setup", async (c) => {
    const f = await formFields(c);
    if (!(await presessionValid(c))) {
      return setupPage(c, { username: f.username, message: EXPIRED_FORM }, 403);
    }
    if ((f.password ?? "") !== (f.password2 ?? "")) {
      return setupPage(c, {
        username: f.username,
        message: { kind: "error", text: "The two passwords differ: type the same one twice" },
      }, 400);
    }
    try {
      const s = await engine.setup.complete({
        username: f.username ?? "",
        password: f.password ?? "",
        ip: remoteIp(c),
        code: f.code,
      });
      setSessionCookie(c, s.token, s.session.expiresAt);
      return c.redirect("/?welcome", 303);
    } catch (err) {
      const e = refused(err);
      if (e.status === 409) return c.redirect("/signin", 303);
      return setupPage(
        c,
        { username: f.username, message: { kind: "error", text: e.text } },
        e.status === 404 ? 400 : e.status,
      );
    }
  });

  // Sign-out ends the session on the server; it needs the session's CSRF token, like every
  // change. Without a valid session there is nothing to end: the cookie is dropped.
  app.post("/signout", async (c) => {
    const token = sessionToken(c);
    const found = token ? await engine.sessions.check(token) : undefined;
    if (token && found) {
      const ok = sameOrigin(c) && checkCsrf(await csrfSecret(token), await presentedCsrf(c));
      if (!ok) {
        return c.json({
          error: { code: "CSRF_TOKEN", message: "Sign out from the console's own pages" },
        }, 403);
      }
      await engine.sessions.signOut(token, remoteIp(c));
    }
    clearSessionCookie(c);
    return c.redirect("/signin?out", 303);
  });

  return app;
}
