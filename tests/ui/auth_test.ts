/// <reference lib="dom" />
/**
 * Sign-in, the setup wizard and sessions in headless Chromium against a real `aft serve`: the
 * wizard from this machine and, refused without its code, from another address; a wrong
 * password; a form without its CSRF token (403); an ended session. The pages before sign-in
 * also go through axe and are photographed in light and dark.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { freePort } from "../e2e/_service.ts";
import {
  assertAccessible,
  BROWSER_TESTS,
  launchBrowser,
  SCREENSHOT_DIR,
  watchedPage,
} from "./_browser.ts";
import { ADMIN, type ConsoleService, startConsole } from "./_console.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The machine's first address that is not loopback (the wizard's "elsewhere"). */
async function outsideAddress(): Promise<string | undefined> {
  const out = await new Deno.Command("hostname", { args: ["-I"], stdout: "piped" }).output()
    .catch(() => undefined);
  const first = out && new TextDecoder().decode(out.stdout).trim().split(/\s+/)
    .find((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a) && !a.startsWith("127."));
  return first || undefined;
}

let browser: Promise<Browser> | undefined;
const started: ConsoleService[] = [];
globalThis.addEventListener("unload", () => {
  for (const s of started) {
    try {
      s.service.child.kill("SIGKILL");
    } catch { /* stopped */ }
  }
});

async function service(o: Parameters<typeof startConsole>[1] = {}) {
  const svc = await startConsole({}, o);
  started.push(svc);
  return svc;
}

/** Checks the page with axe and photographs it in light and dark. */
async function sweep(page: Page, name: string) {
  await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await assertAccessible(page, `${name} (${scheme})`);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${scheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

Deno.test({
  name:
    "setup wizard: from another address refused without the code and with a wrong one; from this machine it makes the first admin",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const outside = await outsideAddress();
    const port = freePort();
    const svc = await service({ setup: false, args: ["--listen", `0.0.0.0:${port}`] });
    const b = await (browser ??= launchBrowser());
    try {
      if (outside) {
        const w = await watchedPage(b, { status: 403 });
        const url = `https://${outside}:${port}/setup`;
        await w.page.goto(url);
        await w.page.locator("html[data-ready]").waitFor();
        await w.page.getByLabel("Setup code").waitFor();
        // A form sent without the code (the field taken out, as a script could).
        await w.page.evaluate(() => document.querySelector("input[name=code]")!.remove());
        await w.page.getByLabel("User name").fill("intruder");
        await w.page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
        await w.page.getByLabel("Password again").fill(ADMIN.password);
        const [res] = await Promise.all([
          w.page.waitForResponse((r) => r.url() === url && r.request().method() === "POST"),
          w.page.getByRole("button", { name: "Create the administrator" }).click(),
        ]);
        assert.equal(res.status(), 403);
        await w.page.getByText("open from this machine only").waitFor();
        await w.close();

        const v = await watchedPage(b, { status: 401 });
        await v.page.goto(url);
        await v.page.getByLabel("Setup code").fill("AAAA-BBBB-CCCC-DDDD");
        await v.page.getByLabel("User name").fill("intruder");
        await v.page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
        await v.page.getByLabel("Password again").fill(ADMIN.password);
        await v.page.getByRole("button", { name: "Create the administrator" }).click();
        await v.page.getByText("The setup code is wrong or has expired").waitFor();
        await v.close();
      } else {
        console.warn("no address but loopback on this machine: the outside half is skipped");
      }

      const w = await watchedPage(b);
      try {
        await w.page.goto(`https://127.0.0.1:${port}/`);
        await w.page.waitForURL(/\/setup$/);
        await w.page.locator("html[data-ready]").waitFor();
        assert.equal(await w.page.getByLabel("Setup code").count(), 0, "no code from loopback");
        await sweep(w.page, "setup");
        await w.page.getByLabel("User name").fill(ADMIN.username);
        const pw = w.page.getByLabel("Password", { exact: true });
        await pw.fill("admin");
        await w.page.locator(".strength[data-score='0']").waitFor();
        await pw.fill(ADMIN.password);
        await w.page.locator(".strength[data-score='4']").waitFor();
        await w.page.getByLabel("Password again").fill(ADMIN.password);
        await w.page.getByRole("button", { name: "Create the administrator" }).click();
        await w.page.waitForURL(/\/\?welcome$/);
        await w.page.getByText(`Signed in as`).waitFor();
        assert.equal(await w.page.locator(".who strong").innerText(), ADMIN.username);
        w.assertClean("setup wizard");
      } finally {
        await w.close();
      }
      if (outside) {
        assert.match(svc.service.log(), /setup code [A-Z0-9]{4}-/, "the code is in the log");
        assert.ok(!svc.service.log().includes(ADMIN.password), "no password in the log");
      }
    } finally {
      await svc.stop();
    }
  },
});

let signedIn: Promise<ConsoleService> | undefined;

Deno.test({
  name: "sign-in: a wrong password is refused and said; the right one opens the page asked for",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const svc = await (signedIn ??= service());
    const b = await (browser ??= launchBrowser());
    const w = await watchedPage(b, { status: 401 });
    try {
      await w.page.goto(`${svc.url}/?from=test`);
      await w.page.waitForURL(/\/signin\?next=/);
      await w.page.locator("html[data-ready]").waitFor();
      await sweep(w.page, "signin");
      await w.page.getByLabel("User name").fill(ADMIN.username);
      await w.page.getByLabel("Password").fill("not the password at all");
      await w.page.getByRole("button", { name: "Sign in" }).click();
      await w.page.getByText("wrong", { exact: false }).first().waitFor();
      assert.match(w.page.url(), /\/signin$/);
      assert.equal(await w.page.getByLabel("User name").inputValue(), ADMIN.username);
      await w.page.getByLabel("Password").fill(ADMIN.password);
      await w.page.getByRole("button", { name: "Sign in" }).click();
      await w.page.waitForURL(`${svc.url}/?from=test`);
      await w.page.getByText("Signed in as").waitFor();
      const cookie = (await w.context.cookies()).find((c) => c.name === "__Host-aft_session");
      assert.ok(cookie?.httpOnly && cookie.secure && cookie.sameSite === "Strict");
      assert.equal(await w.page.evaluate(() => document.cookie), "", "no cookie for scripts");
      // Sign-out ends the session: the page asks for sign-in again.
      await w.page.getByRole("button", { name: "Sign out" }).click();
      await w.page.getByText("You are signed out").waitFor();
      await w.page.goto(`${svc.url}/`);
      await w.page.waitForURL(/\/signin\?next=/);
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "a form sent without its CSRF token is refused with 403 and changes nothing",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const svc = await (signedIn ??= service());
    const b = await (browser ??= launchBrowser());
    const w = await watchedPage(b, { status: 403 });
    try {
      await svc.signIn(w.context);
      await w.page.goto(`${svc.url}/`);
      await w.page.locator("html[data-ready]").waitFor();
      await w.page.evaluate(() =>
        document.querySelectorAll("form[action='/signout'] input[name=_csrf]").forEach((e) =>
          e.remove()
        )
      );
      const [res] = await Promise.all([
        w.page.waitForResponse((r) => r.url().endsWith("/signout")),
        w.page.getByRole("button", { name: "Sign out" }).click(),
      ]);
      assert.equal(res.status(), 403);
      // Still signed in: the sign-out did not happen.
      const again = await w.context.newPage();
      await again.goto(`${svc.url}/`);
      await again.getByText("Signed in as").waitFor();
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "an ended session: the next page asks for sign-in again and says why",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const svc = await (signedIn ??= service());
    const b = await (browser ??= launchBrowser());
    const w = await watchedPage(b);
    try {
      // A session of its own, through the sign-in form.
      await w.page.goto(`${svc.url}/signin`);
      await w.page.getByLabel("User name").fill(ADMIN.username);
      await w.page.getByLabel("Password").fill(ADMIN.password);
      await w.page.getByRole("button", { name: "Sign in" }).click();
      await w.page.getByText("Signed in as").waitFor();
      // Every session made a day ago (as if): longer than sessionLifetimeMinutes (480).
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(join(svc.data, "aft.db"));
      db.prepare("UPDATE sessions SET created_at = ?").run(
        new Date(Date.now() - 86_400_000).toISOString(),
      );
      db.close();
      await w.page.goto(`${svc.url}/?after=expiry`);
      await w.page.waitForURL(/\/signin\?next=%2F%3Fafter%3Dexpiry&ended=1$/);
      await w.page.getByText("Your session has ended: sign in again").waitFor();
      w.assertClean("ended session");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "browser and services of the sign-in tests stop",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    if (browser) await (await browser).close();
    for (const s of started) await s.stop().catch(() => {});
  },
});
