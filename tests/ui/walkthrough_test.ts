/// <reference lib="dom" />
/**
 * A new administrator's first hour with the console, in headless Chromium against a real
 * `aft serve`: the setup wizard and sign-in, a disk VFS added and tested, a file uploaded and
 * found in the browser, a secret set, a script written in the editor with completion, Run now
 * with parameters and the live log to success, an API key created and used from `curl` and
 * `aft start`, a schedule created, a running job halted, and all of it found in the audit log.
 * Negative paths on the way: a script name and a log line carrying `<script>` shown as text,
 * and the key (without the admin scope) refused by every admin route. Each page with data on
 * it goes through axe and is photographed in light and dark.
 *
 * `AFT_UI_README_SHOTS=1` also writes the README's screenshots to docs/img/ (the dashboard,
 * the editor, a live job log).
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Browser, Page } from "playwright-core";
import { runAft } from "../e2e/_cli.ts";
import {
  assertAccessible,
  BROWSER_TESTS,
  launchBrowser,
  SCREENSHOT_DIR,
  watchedPage,
} from "./_browser.ts";
import { ADMIN, type ConsoleService, startConsole } from "./_console.ts";

const README_SHOTS = Deno.env.get("AFT_UI_README_SHOTS") === "1";
const DOCS_IMG = new URL("../../docs/img/", import.meta.url).pathname;

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

/** Waits for the page's scripts to have wired it. */
const ready = (page: Page) => page.locator("html[data-ready]").waitFor();

/** Answers the page's confirmation dialog with its confirming button. */
async function confirm(page: Page) {
  await page.locator("#confirm-dialog[open]").waitFor();
  await page.locator("#confirm-ok").click();
}

/** Runs `curl` with `args`; its exit code and output. */
async function curl(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command("curl", { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

/** The shell line's words, for lines with double or single quotes only. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

Deno.test({
  name:
    "walkthrough: a new admin sets up, signs in, adds a VFS, uploads, writes and runs a script, uses a key, schedules, halts, and finds it all in the audit log",
  ignore: !BROWSER_TESTS,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const svc: ConsoleService = await startConsole({}, { setup: false });
    const browser: Browser = await launchBrowser();
    const inbox = await Deno.makeTempDir({ prefix: "aft-walk-inbox-" });
    const w = await watchedPage(browser);
    const { page } = w;
    try {
      // ---- the wizard, then sign-in ----------------------------------------------------
      await page.goto(`${svc.url}/`);
      await page.waitForURL(/\/setup$/);
      await ready(page);
      await page.getByLabel("User name").fill(ADMIN.username);
      await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
      await page.getByLabel("Password again").fill(ADMIN.password);
      await page.getByRole("button", { name: "Create the administrator", exact: true }).click();
      await page.waitForURL(/\/\?welcome$/);
      await page.context().clearCookies();
      await page.goto(`${svc.url}/vfs`);
      await page.waitForURL(/\/signin\?next=/);
      await ready(page);
      await page.getByLabel("User name").fill(ADMIN.username);
      await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForURL(/\/vfs$/);
      await ready(page);

      // ---- a disk VFS, tested ----------------------------------------------------------
      await page.getByRole("link", { name: "Add a VFS", exact: true }).first().click();
      await ready(page);
      await page.getByRole("link", { name: "Local disk", exact: true }).click();
      await ready(page);
      await page.getByLabel("Name", { exact: true }).fill("Inbox");
      await page.getByLabel("Folder", { exact: true }).fill(inbox);
      await page.getByRole("button", { name: "Add", exact: true }).click();
      await page.waitForURL(/\/vfs\?added$/);
      await ready(page);
      await page.getByRole("button", { name: "Test connection Inbox", exact: true }).click();
      await page.getByText('VFS "Inbox" answers: 0 entries at its root.').waitFor();

      // ---- browse and upload -----------------------------------------------------------
      await page.getByRole("link", { name: "Browse Inbox", exact: true }).click();
      await ready(page);
      await page.getByText("This folder is empty").waitFor();
      await page.getByLabel("Files to upload").setInputFiles({
        name: "prices.csv",
        mimeType: "text/csv",
        buffer: Buffer.from("sku,price\n1,9.99\n"),
      });
      await page.getByRole("button", { name: "Upload", exact: true }).click();
      await page.waitForURL(/uploaded/);
      await ready(page);
      await page.getByRole("link", { name: "prices.csv", exact: true }).waitFor();
      assert.equal(await Deno.readTextFile(join(inbox, "prices.csv")), "sku,price\n1,9.99\n");
      await sweep(page, "walk-vfs-browse");

      // ---- a secret --------------------------------------------------------------------
      await page.getByRole("link", { name: "Secrets", exact: true }).click();
      await ready(page);
      await page.getByLabel("Name", { exact: true }).fill("greeting");
      await page.getByLabel("Value", { exact: true }).fill("s3cr3t-value");
      await page.getByRole("button", { name: "Store secret", exact: true }).click();
      await page.waitForURL(/\/secrets\?set$/);
      await ready(page);
      assert.ok(!(await page.content()).includes("s3cr3t-value"), "the value never comes back");

      // ---- a script written with completion -------------------------------------------
      await page.getByRole("link", { name: "Scripts", exact: true }).click();
      await ready(page);
      await page.getByRole("link", { name: "New script", exact: true }).first().click();
      await ready(page);
      await page.locator(".editor-host[data-ready] .cm-content").waitFor();
      await page.getByLabel("Name", { exact: true }).fill("Greet");
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+a");
      await page.keyboard.press("Delete");
      await page.keyboard.type("Log.Inf");
      const option = page.locator(".cm-tooltip-autocomplete li", { hasText: /^Info/ });
      await option.first().waitFor();
      await option.first().click();
      await page.keyboard.type('("Hello, " + Param("who"));\n');
      await page.keyboard.type('Log.Info("<script>alert(1)</script>");\n');
      await page.keyboard.type('if (GetSecret("greeting") !== "s3cr3t-value") Exit(3);\n');
      const source = await page.locator("textarea[name=source]").inputValue();
      assert.match(source, /^Log\.Info\("Hello, " \+ Param\("who"\)\);/);
      await page.locator(".editor-status", { hasText: "No syntax errors" }).waitFor();
      if (README_SHOTS) {
        await Deno.mkdir(DOCS_IMG, { recursive: true });
        await page.screenshot({ path: join(DOCS_IMG, "console-editor.png") });
      }
      await page.getByRole("button", { name: "Create script", exact: true }).click();
      await page.waitForURL(/\/scripts\/[^/?]+\?created$/);
      await ready(page);
      await sweep(page, "walk-script");

      // ---- Run now with parameters, the live log until success ------------------------
      await page.getByLabel("Parameter 1 name").fill("who");
      await page.getByLabel("Parameter 1 value").fill("world");
      await page.getByRole("button", { name: "Run now", exact: true }).click();
      await page.waitForURL(/\/jobs\/[^/?]+$/);
      await ready(page);
      const log = page.locator("#job-log");
      await log.locator("li", { hasText: "Hello, world" }).waitFor();
      await page.locator("#job-log[data-ended=succeeded]").waitFor();
      await page.locator('[data-job-field="status"] .badge.succeeded').waitFor();
      // The log line is text: no element came of it.
      await log.locator("li", { hasText: "<script>alert(1)</script>" }).waitFor();
      assert.equal(await log.locator("script").count(), 0);
      await page.getByText("Finished: succeeded").waitFor();
      if (README_SHOTS) await page.screenshot({ path: join(DOCS_IMG, "console-job-log.png") });
      await sweep(page, "walk-job");

      // ---- an API key, used from curl and aft start ------------------------------------
      await page.getByRole("link", { name: "API Keys", exact: true }).click();
      await ready(page);
      await page.getByLabel("Name", { exact: true }).fill("ci");
      await page.getByLabel("jobs:start").check();
      await page.getByLabel("jobs:read").check();
      await page.getByRole("button", { name: "Create key", exact: true }).click();
      await ready(page);
      const key = await page.locator("#new-key").inputValue();
      assert.match(key, /\S{20,}/);
      await sweep(page, "walk-new-key");
      const curlLine = await page.locator("#curl-line").inputValue();
      const curlArgs = words(curlLine.replace(/\\\n/g, " ").trim()).slice(1);
      assert.equal(curlArgs.at(-1), JSON.stringify({ scriptName: "Greet" }));
      const viaCurl = await curl(curlArgs);
      assert.equal(viaCurl.code, 0, viaCurl.out);
      assert.match(viaCurl.out, /"id":"[0-9a-z]{26}"/);
      const startLine = await page.locator("#start-line").inputValue();
      const viaStart = await runAft(words(startLine).slice(1), { data: svc.data });
      assert.equal(viaStart.code, 0, viaStart.stderr);
      assert.match(viaStart.stdout.trim(), /^[0-9a-z]{26}$/);

      // The key has no admin scope: every admin route of the OpenAPI document refuses it.
      const doc = await (await fetch(`${svc.url}/v1/openapi.json`, { client: svc.client }))
        .json();
      let routes = 0;
      for (const [path, methods] of Object.entries(doc.paths as Record<string, object>)) {
        for (const [method, op] of Object.entries(methods as Record<string, object>)) {
          if ((op as Record<string, unknown>)["x-aft-scope"] !== "admin") continue;
          routes++;
          const res = await fetch(`${svc.url}${path.replace(/\{\w+\}/g, "x")}`, {
            client: svc.client,
            method: method.toUpperCase(),
            headers: { "X-API-Key": key, "Content-Type": "application/json" },
            body: method === "get" || method === "delete" ? undefined : "{}",
          });
          await res.body?.cancel();
          assert.equal(res.status, 403, `${method} ${path}`);
        }
      }
      assert.ok(routes >= 20, `${routes} admin routes`);

      // ---- a schedule --------------------------------------------------------------------
      await page.getByRole("link", { name: "Schedules", exact: true }).click();
      await ready(page);
      await page.getByRole("link", { name: "New schedule", exact: true }).first().click();
      await ready(page);
      await page.getByLabel("Name", { exact: true }).fill("Every morning");
      await page.getByLabel("Script", { exact: true }).selectOption("Greet");
      const cron = page.getByLabel("Cron expression");
      await cron.fill("30 6 * * 1-5");
      await page.locator("[data-cron-preview][data-shown='30 6 * * 1-5']").waitFor();
      assert.match(await page.locator("[data-cron-words]").innerText(), /06:30/);
      assert.equal(await page.locator("[data-cron-next] li").count(), 5);
      await page.getByRole("button", { name: "Create schedule", exact: true }).click();
      await page.waitForURL(/\/schedules\?saved$/);
      await ready(page);
      await page.getByRole("link", { name: "Every morning", exact: true }).waitFor();
      await sweep(page, "walk-schedules");

      // ---- halt a running job --------------------------------------------------------
      await page.getByRole("link", { name: "Scripts", exact: true }).click();
      await ready(page);
      await page.getByRole("link", { name: "New script", exact: true }).first().click();
      await ready(page);
      await page.locator(".editor-host[data-ready] .cm-content").waitFor();
      await page.getByLabel("Name", { exact: true }).fill('Wait <script>alert("name")</script>');
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+a");
      await page.keyboard.press("Delete");
      await page.keyboard.type('Log.Info("waiting");\nfor (;;) if (Sleep(100) === false) break;\n');
      await page.getByRole("button", { name: "Create script", exact: true }).click();
      await page.waitForURL(/\?created$/);
      await ready(page);
      assert.equal(
        await page.locator("h1").innerText(),
        'Wait <script>alert("name")</script>',
        "the name is text",
      );
      await page.getByRole("button", { name: "Run now", exact: true }).click();
      await page.waitForURL(/\/jobs\/[^/?]+$/);
      await ready(page);
      await page.locator("#job-log li", { hasText: "waiting" }).waitFor();
      await page.getByRole("button", { name: "Halt", exact: true }).click();
      await confirm(page);
      await page.waitForURL(/\/jobs\/[^/?]+$/);
      await page.locator('[data-job-field="status"] .badge.halted').waitFor();

      // ---- the dashboard and the audit log -------------------------------------------
      await page.getByRole("link", { name: "Dashboard", exact: true }).click();
      await ready(page);
      await page.locator("[data-live-counters][data-state=open]").waitFor();
      await page.locator("figure.chart[data-drawn]").first().waitFor();
      await sweep(page, "walk-dashboard");
      if (README_SHOTS) await page.screenshot({ path: join(DOCS_IMG, "console-dashboard.png") });
      // The Nodes card: on SQLite, this service's node alone, ok, with a recent heartbeat.
      const nodes = page.getByRole("table", { name: "Nodes on this store" });
      assert.equal(await nodes.locator("tbody tr").count(), 1);
      const self = nodes.locator("tbody tr").first();
      assert.equal(await self.getAttribute("data-state"), "ok");
      assert.match(await self.innerText(), /\(this node\)[\s\S]*(just now|\d+ s ago)\s+ok/);
      // A node row another process wrote, named as markup and silent for an hour: text, lost.
      const hostile = "<script>window.__pwned = 1</script><img src=x onerror=window.__pwned=2>";
      const db = new DatabaseSync(join(svc.data, "aft.db"));
      try {
        const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
        db.prepare(
          "INSERT INTO nodes (id, address, version, started_at, heartbeat_at) VALUES (?, NULL, '0.0.1', ?, ?)",
        ).run(hostile, hourAgo, hourAgo);
      } finally {
        db.close();
      }
      await page.reload();
      await ready(page);
      const lost = nodes.locator("tbody tr[data-state=lost]");
      assert.equal(await lost.locator("td").first().innerText(), hostile);
      assert.equal(
        await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned),
        undefined,
      );
      assert.match(await lost.innerText(), /1 h( \d+ min)? ago\s+lost/);
      await sweep(page, "walk-dashboard-nodes");
      // Every step is in the audit log, with who and from where; never the secret's value.
      const audited = await runAft(["audit", "--json", "--limit", "500"], { data: svc.data });
      assert.equal(audited.code, 0, audited.stderr);
      assert.ok(!audited.stdout.includes("s3cr3t-value"), "never a secret's value");
      const entries = JSON.parse(audited.stdout) as {
        action: string;
        target?: string | null;
        actorKind: string;
        actorName: string;
        ip?: string | null;
      }[];
      const steps: [string, string | undefined][] = [
        ["setup", undefined],
        ["signin", undefined],
        ["vfs.add", "Inbox"],
        ["secret.set", "greeting"],
        ["script.create", "Greet"],
        ["job.start", undefined],
        ["apikey.create", "ci"],
        ["schedule.create", "Every morning"],
        ["script.create", 'Wait <script>alert("name")</script>'],
        ["job.halt", undefined],
      ];
      for (const [action, target] of steps) {
        const e = entries.find((x) =>
          x.action === action && (target === undefined || x.target === target)
        );
        assert.ok(e, `the audit log has ${action} ${target ?? ""}`);
        if (action !== "setup" && action !== "signin") {
          assert.equal(e.actorKind, "admin", action);
          assert.equal(e.actorName, ADMIN.username, action);
          assert.equal(e.ip, "127.0.0.1", action);
        }
      }
      w.assertClean("walkthrough");
    } finally {
      await w.close();
      await browser.close();
      await svc.stop();
      await Deno.remove(inbox, { recursive: true });
    }
  },
});
