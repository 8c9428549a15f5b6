/// <reference lib="dom" />
/**
 * The Admins, Audit log and Settings pages at work in headless Chromium against a real
 * `aft serve` (the sweep of `console_test.ts` checks each for axe in light and dark, and
 * photographs it: they are in `pages.ts`): adding an admin; two-factor sign-in set
 * up with a code from Debian's `oathtool`, then a wrong code refused and the right one
 * accepted at sign-in; the audit log finding those sign-ins; a setting saved; the warning
 * before a network change that would lock the admin out; the certificate's details.
 */

import assert from "node:assert/strict";
import { assertAccessible, BROWSER_TESTS, watchedPage } from "./_browser.ts";
import { ADMIN } from "./_console.ts";
import { sharedConsole } from "./_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const shared = sharedConsole();
const setup = shared.get;

/** The TOTP code of `secret` (base32) `offset` seconds from now, by oathtool. */
async function oathtool(secret: string, offset = 0): Promise<string> {
  const out = await new Deno.Command("oathtool", {
    args: [
      "--totp",
      "-b",
      "-N",
      `now ${offset >= 0 ? "+" : "-"} ${Math.abs(offset)} seconds`,
      secret,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

async function signedInPage(o: Parameters<typeof watchedPage>[1] = {}) {
  const { svc, browser } = await setup();
  const w = await watchedPage(browser, o);
  await svc.signIn(w.context);
  return { svc, w };
}

Deno.test({
  name: "admins page: an admin is added, and sets up two-factor sign-in",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const { svc, w } = await signedInPage({ status: 200 });
    try {
      await w.page.goto(`${svc.url}/admins`);
      await w.page.locator("html[data-ready]").waitFor();
      // Add "ops" (the form's strength meter at work on the way).
      const add = w.page.locator("#add-admin");
      await add.getByLabel("User name").fill("ops");
      await add.getByLabel("Password", { exact: true }).fill("violet tractor moonlight 42");
      await w.page.locator("[data-strength-for='f-new-password']:not([hidden])").waitFor();
      await add.getByLabel("Password again").fill("violet tractor moonlight 42");
      await add.getByRole("button", { name: "Add administrator" }).click();
      await w.page.getByText('Added the administrator "ops"').waitFor();
      await w.page.getByRole("cell", { name: "ops", exact: true }).waitFor();
      w.assertClean("admins");
    } finally {
      await w.close();
    }

    // "ops" signs in and turns on two-factor sign-in.
    const { browser } = await setup();
    const o = await watchedPage(browser, { status: 401 });
    try {
      await o.page.goto(`${svc.url}/signin`);
      await o.page.getByLabel("User name").fill("ops");
      await o.page.getByLabel("Password").fill("violet tractor moonlight 42");
      await o.page.getByRole("button", { name: "Sign in" }).click();
      await o.page.getByText("Signed in as").waitFor();
      await o.page.goto(`${svc.url}/admins#two-factor`);
      await o.page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
      const secret = await o.page.locator("#totp-secret").innerText();
      assert.match(secret, /^[A-Z2-7]{32}$/);
      assert.match(
        await o.page.locator("#totp-uri").getAttribute("href") ?? "",
        /^otpauth:\/\/totp\/.*secret=/,
      );
      await o.page.getByLabel("Code from the app").fill(
        "000000" === await oathtool(secret) ? "111111" : "000000",
      );
      await o.page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
      await o.page.getByText("The code does not match").waitFor();
      await o.page.getByLabel("Code from the app").fill(await oathtool(secret));
      await o.page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
      await o.page.getByText("Two-factor sign-in is on").first().waitFor();
      await o.page.getByRole("button", { name: "Sign out" }).click();
      await o.page.getByText("You are signed out").waitFor();

      // At sign-in: the password, then a wrong code (refused), then the right one.
      await o.page.getByLabel("User name").fill("ops");
      await o.page.getByLabel("Password").fill("violet tractor moonlight 42");
      await o.page.getByRole("button", { name: "Sign in" }).click();
      await o.page.getByRole("heading", { name: "Two-factor code" }).waitFor();
      await assertAccessible(o.page, "two-factor code page");
      const valid = new Set(await Promise.all([-30, 0, 30, 60].map((s) => oathtool(secret, s))));
      const wrong = ["123456", "654321", "111111"].find((c) => !valid.has(c))!;
      await o.page.getByLabel("Code").fill(wrong);
      await o.page.getByRole("button", { name: "Sign in" }).click();
      await o.page.locator(".notice", { hasText: /code/i }).waitFor();
      assert.match(o.page.url(), /\/signin\/code$/);
      // The next step's code: the one used to turn it on may not be used again.
      await o.page.getByLabel("Code").fill(await oathtool(secret, 30));
      await o.page.getByRole("button", { name: "Sign in" }).click();
      await o.page.getByText("Signed in as").waitFor();
      assert.equal(await o.page.locator(".who strong").innerText(), "ops");
    } finally {
      await o.close();
    }
  },
});

Deno.test({
  name: "audit log page: the setup wizard's entry found by the action filter, and the CSV download",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const { svc, w } = await signedInPage();
    try {
      await w.page.goto(`${svc.url}/audit`);
      await w.page.locator("html[data-ready]").waitFor();
      await w.page.getByLabel("Action").selectOption("setup");
      await w.page.getByRole("button", { name: "Filter" }).click();
      await w.page.waitForURL(/action=setup/);
      const rows = w.page.locator("table tbody tr");
      assert.ok(await rows.count() >= 1);
      assert.match(await rows.first().innerText(), /admin/);
      assert.match(await rows.first().innerText(), /127\.0\.0\.1/);
      const [download] = await Promise.all([
        w.page.waitForEvent("download"),
        w.page.getByRole("link", { name: "Download CSV" }).click(),
      ]);
      const csv = await Deno.readTextFile((await download.path())!);
      assert.match(csv.split("\r\n")[0]!, /^time,actor_kind,actor,/);
      assert.match(csv, /setup/);
      assert.ok(!csv.includes(ADMIN.password), "no password in the audit log");
      w.assertClean("audit");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name:
    "settings page: Allow CLI Run saved; a listen change that moves the port warns first; the certificate shown",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const { svc, w } = await signedInPage({ status: 200 });
    try {
      await w.page.goto(`${svc.url}/settings`);
      await w.page.locator("html[data-ready]").waitFor();
      assert.match(await w.page.locator("#tls").innerText(), /SHA-256 fingerprint/);
      const jobs = w.page.locator("#settings-jobs");
      const box = jobs.getByLabel("Allow CLI Run");
      const was = await box.isChecked();
      await box.setChecked(!was);
      await jobs.getByRole("button", { name: "Save jobs" }).click();
      await w.page.getByText("Saved the jobs settings").waitFor();
      assert.equal(
        await w.page.locator("#settings-jobs").getByLabel("Allow CLI Run").isChecked(),
        !was,
      );

      const net = w.page.locator("#settings-network");
      await net.getByLabel("Listen address").fill("127.0.0.1:1");
      await net.getByRole("button", { name: "Save network" }).click();
      await w.page.getByText("This change may lock you out").waitFor();
      assert.match(await w.page.locator(".lockout").innerText(), /port 1, not/);
      await w.page.getByRole("button", { name: "Save anyway" }).click();
      await w.page.getByText("Saved the network settings").waitFor();
      assert.equal(
        await w.page.locator("#settings-network").getByLabel("Listen address").inputValue(),
        "127.0.0.1:1",
      );
      w.assertClean("settings");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "browser and service of the admin pages stop",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    await shared.stop();
  },
});
