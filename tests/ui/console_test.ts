/// <reference lib="dom" />
/**
 * The web console in headless Chromium against a real `aft serve` (with the demo pages on):
 * every page in light and dark without a console error or CSP violation, without a serious
 * accessibility finding, within its size budget, usable from 1280 down to 800 pixels wide; and
 * each component doing its job: the editor's completion, hover docs and syntax marks, the
 * confirmation dialog, the unsaved-edits guard, the live log (no line lost or doubled across
 * dropped connections), live counters, charts and local times.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { assertAccessible, BROWSER_TESTS, SCREENSHOT_DIR, watchedPage } from "./_browser.ts";
import { sharedConsole } from "./_fixture.ts";
import { CONSOLE_PAGES, PAGE_BUDGET } from "./pages.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const shared = sharedConsole();
const setup = shared.get;

async function open(path: string, o: Parameters<typeof watchedPage>[1] = {}) {
  const { svc, browser } = await setup();
  const w = await watchedPage(browser, o);
  await svc.signIn(w.context);
  await w.page.goto(svc.url + path);
  await w.page.locator("html[data-ready]").waitFor();
  return w;
}

// ---- every page --------------------------------------------------------------------------

for (const p of CONSOLE_PAGES) {
  Deno.test({
    name:
      `console page ${p.path}: clean in light and dark, nothing serious for axe, fits 1280 and 800 px`,
    ignore: !BROWSER_TESTS,
    ...opts,
    async fn() {
      const { svc, browser } = await setup();
      const w = await watchedPage(browser, { status: p.status });
      if (!p.signedOut) await svc.signIn(w.context);
      const scripts: string[] = [];
      w.page.on("request", (r) => r.resourceType() === "script" && scripts.push(r.url()));
      try {
        await w.page.goto(svc.url + p.path);
        await w.page.locator("html[data-ready]").waitFor();
        await p.ready?.(w.page);
        const bytes = await w.bytesReceived();
        if (!p.editor) {
          assert.ok(bytes < PAGE_BUDGET, `${p.path} sent ${bytes} bytes, over ${PAGE_BUDGET}`);
        }
        const editor = scripts.some((u) => /\/assets\/editor-[0-9a-f]+\.js$/.test(u));
        assert.equal(editor, p.editor === true, "only the editor's page loads the editor bundle");
        await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
        for (const scheme of ["light", "dark"] as const) {
          await w.page.emulateMedia({ colorScheme: scheme });
          await assertAccessible(w.page, `${p.path} (${scheme})`);
          const path = join(SCREENSHOT_DIR, `${p.name}-${scheme}.png`);
          await w.page.screenshot({ path, fullPage: true });
        }
        for (const width of [1280, 800]) {
          await w.page.setViewportSize({ width, height: 700 });
          const over = await w.page.evaluate(() =>
            document.documentElement.scrollWidth - document.documentElement.clientWidth
          );
          assert.ok(over <= 0, `${p.path} at ${width}px scrolls sideways by ${over}px`);
          if (p.signedOut) continue; // no navigation before sign-in
          assert.ok(await w.page.getByRole("link", { name: "Audit log" }).isVisible());
          // The navigation takes the room its links need, no more (above the page when narrow).
          if (width < 960) {
            const spare = await w.page.evaluate(() => {
              const nav = document.querySelector("nav.side")!.getBoundingClientRect();
              const last = [...document.querySelectorAll("nav.side ul")].at(-1)!;
              return nav.bottom - last.getBoundingClientRect().bottom;
            });
            assert.ok(spare < 24, `${p.path} at ${width}px: ${spare}px of empty navigation`);
          }
        }
        w.assertClean(p.path);
      } finally {
        await w.close();
      }
    },
  });
}

// ---- the editor ----------------------------------------------------------------------------

async function editorPage() {
  const w = await open("/style-guide/editor");
  await w.page.locator(".editor-host[data-ready] .cm-content").waitFor();
  return w;
}

/** Moves the cursor to the end of the editor's text and types `text`. */
async function typeAtEnd(page: Page, text: string) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(text);
}

Deno.test({
  name: "editor: typing a prefix of VirtualFSByName offers it, with its documentation",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await editorPage();
    try {
      await typeAtEnd(w.page, "\nvar dst = VirtualFSBy");
      const option = w.page.locator(".cm-tooltip-autocomplete li", { hasText: "VirtualFSByName" });
      await option.waitFor();
      await w.page.locator(".cm-completionInfo", { hasText: "The VFS Library entry" }).waitFor();
      // Clicked: Enter is ignored for a moment after the list changes (CodeMirror's
      // interactionDelay, against accidental picks), and the list changes as sources answer.
      await option.click();
      await w.page.keyboard.type('("out").Cop');
      const member = w.page.locator(".cm-tooltip-autocomplete li", { hasText: "CopyToVFS" });
      await member.waitFor();
      assert.equal(
        await w.page.locator(".cm-tooltip-autocomplete li", { hasText: "BodyAsString" }).count(),
        0,
      );
      await w.page.locator(".cm-completionInfo", { hasText: "VirtualFS.CopyToVFS(" }).waitFor();
      await member.click();
      const source = await w.page.locator("textarea[name=source]").inputValue();
      assert.ok(
        source.endsWith('\nvar dst = VirtualFSByName("out").CopyToVFS'),
        `the form's field has ${JSON.stringify(source.slice(-60))}`,
      );
      w.assertClean("editor completion");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "editor: hovering a global or a member shows its signature and documentation",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await editorPage();
    try {
      const word = w.page.locator(".cm-line span", { hasText: /^VirtualFSByName$/ }).first();
      await word.hover();
      const tip = w.page.locator(".cm-tooltip-hover .api-doc");
      await tip.waitFor();
      assert.match(await tip.innerText(), /VirtualFSByName\(name: string\): VirtualFS/);
      assert.match(await tip.innerText(), /The VFS Library entry `name` \(case-insensitive\)/);
      await w.page.mouse.move(0, 0);
      await tip.waitFor({ state: "detached" });
      await w.page.locator(".cm-line span", { hasText: /^CopyToVFS$/ }).first().hover();
      await w.page.locator(".cm-tooltip-hover .api-doc", { hasText: "VirtualFS.CopyToVFS(" })
        .waitFor();
      w.assertClean("editor hover");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name:
    "editor: a syntax error is marked inline and said in the status line, and clears when fixed",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await editorPage();
    try {
      const status = w.page.locator(".editor-status");
      await w.page.locator(".editor-status", { hasText: "No syntax errors" }).waitFor();
      await typeAtEnd(w.page, "\nvar broken = ;");
      await w.page.locator(".cm-lintRange-error").waitFor();
      await w.page.locator(".editor-status.invalid", {
        hasText: /Syntax error on line 10, column 14: Unexpected token/,
      })
        .waitFor();
      await w.page.keyboard.press("Backspace");
      await w.page.keyboard.type("1;");
      await w.page.locator(".editor-status", { hasText: "No syntax errors" }).waitFor();
      assert.equal(await w.page.locator(".cm-lintRange-error").count(), 0);
      assert.equal(await status.getAttribute("aria-live"), "polite");
      w.assertClean("editor syntax");
    } finally {
      await w.close();
    }
  },
});

// ---- keyboard ----------------------------------------------------------------------------

Deno.test({
  name:
    "keyboard: the first Tab shows the skip link, which moves focus to the page; focus is visible",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await open("/style-guide");
    try {
      const { page } = w;
      await page.keyboard.press("Tab");
      const skip = page.getByRole("link", { name: "Skip to content" });
      assert.equal(
        await page.evaluate(() => document.activeElement?.textContent),
        "Skip to content",
      );
      const box = await skip.boundingBox();
      assert.ok(box && box.y >= 0 && box.height > 0, "the skip link is on screen when focused");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
      // The next Tab lands on the page's first control, drawn with a focus ring.
      await page.keyboard.press("Tab");
      const ring = await page.evaluate(() => {
        const s = getComputedStyle(document.activeElement!);
        return {
          tag: document.activeElement!.tagName,
          style: s.outlineStyle,
          width: s.outlineWidth,
        };
      });
      assert.equal(ring.style, "solid", JSON.stringify(ring));
      assert.equal(ring.width, "3px", JSON.stringify(ring));
      w.assertClean("keyboard");
    } finally {
      await w.close();
    }
  },
});

// ---- dialogs and the unsaved-edits guard ---------------------------------------------------

Deno.test({
  name: "a destructive form asks in a dialog: Escape keeps the page, Confirm sends it",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await open("/style-guide");
    try {
      const { page } = w;
      const before = page.url();
      await page.getByRole("button", { name: "Delete script" }).click();
      const dialog = page.getByRole("dialog", { name: "Please confirm" });
      await dialog.waitFor();
      assert.match(
        await dialog.innerText(),
        /Delete the script "Nightly backup"\? Its schedules stop\./,
      );
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "hidden" });
      assert.equal(page.url(), before);
      await page.getByRole("button", { name: "Delete script" }).click();
      await dialog.getByRole("button", { name: "Delete script" }).click();
      await page.waitForURL(/\?confirmed/);
      await page.getByText("Confirmed: the demo deletion was sent.").waitFor();
      w.assertClean("confirmation dialog");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "leaving a form with unsaved edits asks first; saving does not",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await open("/style-guide");
    try {
      const { page } = w;
      const asked: string[] = [];
      page.on("dialog", (d) => {
        asked.push(d.type());
        d.dismiss(); // stay on the page
      });
      // Untouched: leaving does not ask.
      await page.getByRole("link", { name: "Style guide" }).click();
      await page.locator("html[data-ready]").waitFor();
      assert.deepEqual(asked, []);
      await page.getByLabel("Name").fill("Nightly");
      await page.getByRole("link", { name: "Dashboard" }).click();
      await page.waitForTimeout(300); // the navigation the dialog held back must not happen
      assert.deepEqual(asked, ["beforeunload"]);
      assert.match(page.url(), /\/style-guide$/);
      await page.locator("#demo-form").getByRole("button", { name: "Save" }).click();
      await page.waitForURL(/\?saved/);
      assert.deepEqual(asked, ["beforeunload"]);
      w.assertClean("unsaved guard");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "editing in the code editor counts as an unsaved edit",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await editorPage();
    try {
      const asked: string[] = [];
      w.page.on("dialog", (d) => {
        asked.push(d.type());
        d.dismiss();
      });
      await typeAtEnd(w.page, "\n// changed");
      await w.page.getByRole("link", { name: "Dashboard" }).click();
      await w.page.waitForTimeout(300);
      assert.deepEqual(asked, ["beforeunload"]);
    } finally {
      await w.close();
    }
  },
});

// ---- live data, charts and times -----------------------------------------------------------

Deno.test({
  name: "the live log shows every line once, in order, across dropped connections; markup as text",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await open("/style-guide");
    try {
      const streams: string[] = [];
      w.page.on("request", (r) => r.url().includes("/log-stream") && streams.push(r.url()));
      await w.page.reload();
      const log = w.page.locator("#demo-log");
      await w.page.locator("#demo-log[data-state=ended]").waitFor({ timeout: 30_000 });
      const seqs = await log.locator("li").evaluateAll((els) =>
        els.map((e) => (e as HTMLElement).dataset.seq)
      );
      assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => String(i + 1)));
      assert.ok(streams.length >= 6, `the stream was opened ${streams.length} times`);
      const third = await log.locator("li[data-seq='3'] .text").innerText();
      assert.equal(third, '<script>alert("not run")</script> & <b>shown as text</b>');
      assert.equal(await log.locator("script, b").count(), 0);
      assert.equal(
        await log.locator(".live-status").innerText(),
        "Finished: succeeded (exit code 0)",
      );
      const counters = w.page.locator("[data-live-counters]");
      await w.page.locator("[data-live-counters][data-state=ended]").waitFor();
      assert.equal(await counters.locator("[data-counter=running]").innerText(), "3");
      assert.equal(await counters.locator("[data-counter=queued]").innerText(), "0");
      w.assertClean("live log");
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "charts draw a bar group per hour, with the figures in a table for screen readers",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const w = await open("/style-guide");
    try {
      const jobs = w.page.locator("#chart-jobs");
      await w.page.locator("#chart-jobs[data-drawn='24']").waitFor();
      assert.equal(await jobs.locator("svg g").count(), 24);
      assert.ok((await jobs.locator("svg rect.bar-1").count()) > 0, "failed jobs are drawn");
      assert.equal(await jobs.locator("svg").getAttribute("aria-hidden"), "true");
      assert.equal(await jobs.locator("table tbody tr").count(), 24);
      const axis = await w.page.locator("#chart-bytes svg text").allTextContents();
      assert.ok(axis.some((t) => /GiB|MiB/.test(t)), `byte axis: ${axis.join(" ")}`);
    } finally {
      await w.close();
    }
  },
});

Deno.test({
  name: "times are written in the browser's time zone and locale, UTC kept as the title",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    const { svc, browser } = await setup();
    const context = await browser.newContext({
      ignoreHTTPSErrors: true,
      timezoneId: "Asia/Kolkata",
      locale: "en-GB",
    });
    try {
      const page = await context.newPage();
      await page.goto(`${svc.url}/style-guide`);
      const t = page.locator("time[datetime='2026-03-01T22:15:00Z']");
      await page.locator("time[datetime='2026-03-01T22:15:00Z'][data-local]").waitFor();
      assert.equal(await t.innerText(), "2 Mar 2026, 03:45:00");
      assert.equal(await t.getAttribute("title"), "2026-03-01 22:15:00 UTC");
    } finally {
      await context.close();
    }
  },
});

// ---- the end ----------------------------------------------------------------------------

Deno.test({
  name: "browser and service stop",
  ignore: !BROWSER_TESTS,
  ...opts,
  async fn() {
    await shared.stop();
  },
});
