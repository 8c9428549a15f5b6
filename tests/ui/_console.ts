/**
 * A real `aft serve` with the console's demo pages on (`AFT_UI_DEMO=1`), for the browser
 * tests and `bench/ui.ts`: on a free loopback port, on a fresh data directory.
 *
 * @module
 */

import { tempDataDir } from "../e2e/_cli.ts";
import { type RunningService, startService } from "../e2e/_service.ts";

/** A running service and its console's address. */
export interface ConsoleService {
  url: string;
  service: RunningService;
  data: string;
  stop(): Promise<void>;
}

/** Starts `aft serve` with the demo pages; `env` adds to its environment. */
export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleService> {
  const data = await tempDataDir();
  const service = await startService(data, { env: { AFT_UI_DEMO: "1", ...env } });
  return {
    url: `https://127.0.0.1:${service.port}`,
    service,
    data,
    async stop() {
      await service.stop("SIGTERM");
      await Deno.remove(data, { recursive: true }).catch(() => {});
    },
  };
}
