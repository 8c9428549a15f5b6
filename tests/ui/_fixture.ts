/**
 * One `aft serve` and one headless Chromium shared by the tests of one file: started by the
 * first test that asks, stopped by the file's last test (and killed when the file ends early,
 * as under a `--filter` that skips that test).
 *
 * @example
 * ```ts
 * const shared = sharedConsole();
 * Deno.test("…", async () => { const { svc, browser } = await shared.get(); });
 * Deno.test("browser and service stop", () => shared.stop());
 * ```
 * @module
 */

import type { Browser } from "playwright-core";
import { launchBrowser } from "./_browser.ts";
import { type ConsoleService, startConsole } from "./_console.ts";

/** A file's service and browser. */
export interface SharedConsole {
  get(): Promise<{ svc: ConsoleService; browser: Browser }>;
  /** Closes the browser and stops the service, if they were started. */
  stop(): Promise<void>;
}

/** See the module's doc. */
export function sharedConsole(): SharedConsole {
  let started: Promise<{ svc: ConsoleService; browser: Browser }> | undefined;
  return {
    get: () =>
      started ??= (async () => {
        const svc = await startConsole();
        globalThis.addEventListener("unload", () => {
          try {
            svc.service.child.kill("SIGKILL");
          } catch { /* stopped by the last test */ }
        });
        return { svc, browser: await launchBrowser() };
      })(),
    async stop() {
      if (!started) return;
      const { svc, browser } = await started;
      await browser.close();
      await svc.stop();
    },
  };
}
