/**
 * Every page of the console, for the browser sweep (`pages_test.ts`: no console error, no CSP
 * violation, no serious axe finding, light and dark screenshots, the size budget) and for
 * `bench/ui.ts` (bytes sent, time to first byte). A new page is one entry here.
 *
 * @module
 */

import type { Page } from "playwright-core";

/** One page to visit. */
export interface ConsolePage {
  /** Short name, used for the screenshot files. */
  name: string;
  path: string;
  /** The status the page answers with; default 200. */
  status?: number;
  /** The editor's page may send more than the budget (its bundle is large). */
  editor?: boolean;
  /** Served only with the demo pages on (`AFT_UI_DEMO=1`). */
  demo?: boolean;
  /** Waits until the page has finished drawing (live data settled) before checks and shots. */
  ready?: (page: Page) => Promise<void>;
}

/** Bytes a page other than the editor's may send, with every asset it loads. */
export const PAGE_BUDGET = 150 * 1024;

/** The console's pages. */
export const CONSOLE_PAGES: ConsolePage[] = [
  { name: "dashboard", path: "/" },
  { name: "scripts", path: "/scripts" },
  {
    name: "script-new",
    path: "/scripts/new",
    editor: true,
    ready: async (page) => {
      await page.locator(".editor-host[data-ready] .cm-content").waitFor();
    },
  },
  { name: "jobs", path: "/jobs" },
  { name: "vfs", path: "/vfs" },
  { name: "vfs-new", path: "/vfs/new?type=sftp" },
  { name: "secrets", path: "/secrets" },
  { name: "apikeys", path: "/apikeys" },
  { name: "schedules", path: "/schedules" },
  { name: "schedule-new", path: "/schedules/new" },
  { name: "not-found", path: "/no/such/page", status: 404 },
  {
    name: "style-guide",
    path: "/style-guide",
    demo: true,
    ready: async (page) => {
      await page.locator("#demo-log[data-state=ended]").waitFor({ timeout: 30_000 });
      await page.locator("figure.chart[data-drawn]").first().waitFor();
    },
  },
  {
    name: "editor",
    path: "/style-guide/editor",
    demo: true,
    editor: true,
    ready: async (page) => {
      await page.locator(".editor-host[data-ready] .cm-content").waitFor();
    },
  },
];
