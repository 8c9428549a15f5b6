/**
 * The Settings page's routes: `/settings`, one POST per section (`/settings/jobs`, …), and
 * `/settings/test-mail`. A section's form sends every field it shows; only the fields whose
 * value changed go to `engine.as(actorOf(c)).settings.update` (so the audit log names what
 * changed), checked there all together before any is stored. A network change that could
 * lock the signed-in admin out (`lockout.ts`) is shown again with the warning and saved only
 * when confirmed.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { parseSettingValue, type SettingKey, SETTINGS, type Settings } from "../../engine/mod.ts";
import { renderPage } from "../layout.tsx";
import { lockoutWarnings } from "../lockout.ts";
import { fieldText, SECTIONS, SettingsPage, type SettingsView } from "../pages/settings.tsx";
import { actorOf, remoteIp, sessionOf } from "../session.ts";
import { type AuthDeps, formFields, refused } from "./_auth_deps.ts";

/** The value of a section's field as `settings.update` takes it; undefined when unchanged. */
export function changedValue(key: SettingKey, typed: string | undefined, current: unknown) {
  const spec = SETTINGS[key];
  if (spec.kind === "boolean") {
    // An unchecked box is not sent at all.
    const on = typed !== undefined && typed !== "false";
    return on === current ? undefined : on;
  }
  if (spec.kind === "string[]") {
    const list = (typed ?? "").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
    return JSON.stringify(list) === JSON.stringify(current) ? undefined : list;
  }
  const text = (typed ?? "").trim();
  return text === fieldText(current) ? undefined : text;
}

/** The settings routes. */
export function settingsRoutes(deps: AuthDeps): Hono {
  const { engine } = deps;
  const app = new Hono();

  const page = async (
    c: Context,
    extra: Partial<SettingsView> = {},
    status: 200 | 400 | 401 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const view: SettingsView = {
      settings: await engine.settings.get({ fresh: true }),
      secrets: (await engine.secrets.list()).map((s) => s.name),
      tls: deps.tls,
      ...extra,
    };
    return renderPage(c, SettingsPage({ ui: await deps.uiState(c), view }), status);
  };

  app.get("/settings", (c) => {
    const saved = c.req.query("saved");
    const section = SECTIONS.find((s) => s.key === saved);
    if (!section) return page(c);
    return page(c, {
      section: section.key,
      message: { kind: "success", text: `Saved the ${section.title.toLowerCase()} settings` },
    });
  });

  app.post("/settings/test-mail", async (c) => {
    const f = await formFields(c);
    const to = f.to ?? "";
    try {
      const sent = await engine.as(actorOf(c)).settings.testMail(to);
      return page(c, {
        section: "test-mail",
        mailTo: to,
        message: {
          kind: "success",
          text: `Sent a test mail to ${
            sent.to.join(", ")
          }; the SMTP server answered: ${sent.response}`,
        },
      });
    } catch (err) {
      const e = refused(err);
      return page(c, {
        section: "test-mail",
        mailTo: to,
        message: { kind: "error", text: e.text },
      }, e.status === 404 ? 400 : e.status);
    }
  });

  app.post("/settings/:section", async (c) => {
    const section = SECTIONS.find((s) => s.key === c.req.param("section"));
    if (!section) return c.notFound();
    const f = await formFields(c);
    const current: Settings = await engine.settings.get({ fresh: true });
    const typed: Record<string, string> = {};
    const changes: Record<string, unknown> = {};
    for (const k of section.fields) {
      if (f[k] !== undefined) typed[k] = f[k]!;
      const v = changedValue(k, f[k], current[k]);
      if (v !== undefined) changes[k] = v;
    }
    if (Object.keys(changes).length === 0) {
      return c.redirect(`/settings?saved=${section.key}#${section.key}`, 303);
    }
    if (section.key === "network" && f.confirm !== "yes") {
      // A value that is refused anyway is said first: the lock-out warning would hide it, and
      // confirming it would only lead to the refusal.
      try {
        for (const [k, v] of Object.entries(changes)) parseSettingValue(k, v);
      } catch (err) {
        const e = refused(err);
        return page(
          c,
          { section: section.key, typed, message: { kind: "error", text: e.text } },
          400,
        );
      }
      const s = sessionOf(c);
      const warnings = lockoutWarnings(current, {
        listen: changes.listen as string | undefined,
        sessionLifetimeMinutes: changes.sessionLifetimeMinutes as string | undefined,
      }, {
        ip: remoteIp(c),
        host: c.req.header("Host") ?? new URL(c.req.url).host,
        sessionAgeMinutes: s ? (Date.now() - Date.parse(s.createdAt)) / 60_000 : 0,
      });
      if (warnings.length > 0) {
        // Nothing failed: the page asks again, with the warning (200).
        return page(c, { section: "network", typed, lockout: { warnings, typed } });
      }
    }
    try {
      await engine.as(actorOf(c)).settings.update(changes);
      return c.redirect(`/settings?saved=${section.key}#${section.key}`, 303);
    } catch (err) {
      const e = refused(err);
      return page(c, {
        section: section.key,
        typed,
        message: { kind: "error", text: e.text },
      }, e.status === 404 ? 400 : e.status);
    }
  });

  return app;
}
