/// <reference lib="dom" />
/**
 * Headless Chromium for the console's browser tests: Debian's `chromium` driven by
 * `playwright-core` (no browser download), with the flags that keep it off the network, which
 * is closed on the machines that run the tests. Pages are watched for console errors, uncaught
 * exceptions, failed requests and Content-Security-Policy violations; `assertAccessible` runs
 * axe-core in the page.
 *
 * @module
 */

import assert from "node:assert/strict";
import axe from "axe-core";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium, which `.ci/run` installs. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Without these, Chromium reaches for the network (updates, sync, field trials). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The browser tests run on Linux, where `.ci/run` installs Chromium. */
export const BROWSER_TESTS = Deno.build.os === "linux";

/** Screenshots of every page in light and dark (gitignored). */
export const SCREENSHOT_DIR = new URL("./screenshots/", import.meta.url).pathname;

/** Launches Chromium. */
export async function launchBrowser(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium; bash .ci/run does)`,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** A page whose problems are collected as they happen. */
export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and warnings, uncaught exceptions, CSP violations, failed requests. */
  problems: string[];
  /** Bytes of every response so far (headers and body, as sent: compressed). */
  bytesReceived(): Promise<number>;
  /** Fails with the list of problems, if any. */
  assertClean(what: string): void;
  close(): Promise<void>;
}

/** Opens a fresh context (no cache, no cookies) and page, watched for problems. */
export async function watchedPage(
  browser: Browser,
  opts: {
    colorScheme?: "light" | "dark";
    width?: number;
    height?: number;
    /** The status the page itself is expected to answer with (default 200). */
    status?: number;
  } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, // the service's self-signed certificate
    colorScheme: opts.colorScheme ?? "light",
    viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const sizes: Promise<number>[] = [];
  // Runs before any page script; reported through the console, which is watched below.
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(
        `CSP violation: ${e.violatedDirective} blocked "${e.blockedURI}" (${e.sourceFile}:${e.lineNumber})`,
      );
    });
  });
  const isDocument = (url: string) => page.mainFrame().url() === url;
  page.on("console", (m) => {
    if (m.type() !== "error" && m.type() !== "warning") return;
    // Chromium also logs the expected error status of the page itself.
    if (opts.status && /^Failed to load resource/.test(m.text()) && isDocument(m.location().url)) {
      return;
    }
    problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => {
    // A live stream cut by leaving the page is not a problem.
    if (r.failure()?.errorText === "net::ERR_ABORTED") return;
    problems.push(`request failed: ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on("response", (r) => {
    const document = r.request().isNavigationRequest() && r.frame() === page.mainFrame();
    if (document && r.status() >= 300 && r.status() < 400) return; // a form's redirect
    const want = document ? opts.status ?? 200 : undefined;
    if (want !== undefined ? r.status() !== want : r.status() >= 400) {
      problems.push(`HTTP ${r.status()}${want ? ` (expected ${want})` : ""}: ${r.url()}`);
    }
  });
  page.on("requestfinished", (r) => {
    sizes.push(r.sizes().then((s) => s.responseBodySize + s.responseHeadersSize).catch(() => 0));
  });
  return {
    context,
    page,
    problems,
    bytesReceived: async () => (await Promise.all(sizes)).reduce((a, b) => a + b, 0),
    assertClean(what: string) {
      assert.deepEqual(problems, [], `${what}: the page reported problems`);
    },
    close: () => context.close(),
  };
}

/** One axe finding, short. */
interface Finding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe-core in the page; fails on any serious or critical finding. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  // Evaluated through the debugging protocol, so the page's CSP does not apply to it.
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(axe.source);
  const findings = await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const run = (globalThis as any).axe.run as (ctx: Document, o: unknown) => Promise<any>;
    const result = await run(document, { resultTypes: ["violations"] });
    // deno-lint-ignore no-explicit-any
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // deno-lint-ignore no-explicit-any
      nodes: v.nodes.slice(0, 5).map((n: any) => String(n.target)),
    }));
  }) as Finding[];
  const serious = findings.filter((f) => f.impact === "serious" || f.impact === "critical");
  assert.deepEqual(
    serious,
    [],
    `${what}: axe found ${serious.length} serious or critical problem(s)`,
  );
}
