/**
 * The file browser's page of 200 entries in headless Chromium (Debian's), from the last byte of
 * the page to the end of its parsing and layout (`domComplete - responseEnd`), against its
 * peer in the same run: the same page with each row cut to a plain one (name link, size, time;
 * no actions), which is the least a table of 200 entries costs this browser here. Printed as
 * medians of alternating rounds, each in a fresh tab, and their ratio.
 *
 *     deno task bench:ui-browse [--rounds 8] [--allow-busy]
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { runAft } from "../tests/e2e/_cli.ts";
import { launchBrowser } from "../tests/ui/_browser.ts";
import { startConsole } from "../tests/ui/_console.ts";
import { machineCheck, median, ratio } from "./_machine.ts";

const machine = machineCheck(Deno.args);
const { values } = parseArgs({
  args: machine.args,
  options: { rounds: { type: "string", default: "8" } },
});
const rounds = Math.max(3, Number(values.rounds));

/** The page with each row of its table cut to name, size and time. */
function plainRows(html: string): string {
  const a = html.indexOf("<tbody");
  const b = html.indexOf("</tbody>");
  const body = html.slice(a, b).replace(
    /<tr>.*?<td class="file-name">(.*?)<\/td>(<td class="num">.*?<\/td>)(<td>.*?<\/td>).*?<\/tr>/gs,
    "<tr><td>$1</td>$2$3<td></td></tr>",
  );
  return html.slice(0, a) + body + html.slice(b);
}

const svc = await startConsole();
const browser = await launchBrowser();
const dir = await Deno.makeTempDir({ prefix: "aft-bench-browse-" });
try {
  for (let i = 0; i < 200; i++) await Deno.writeTextFile(join(dir, `file-${i}.txt`), "x");
  const add = await runAft(["vfs", "add", "bench", "--type", "disk", "--target", dir], {
    data: svc.data,
  });
  if (add.code !== 0) throw new Error(add.stderr);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  await svc.signIn(context);
  const url = `${svc.url}/vfs/bench/browse?path=/`;

  const once = async (plain: boolean): Promise<number> => {
    const page: Page = await context.newPage();
    try {
      if (plain) {
        await page.route(/\/browse/, async (r) => {
          const res = await r.fetch();
          await r.fulfill({ response: res, body: plainRows(await res.text()) });
        });
      }
      await page.goto(url, { waitUntil: "load" });
      const rows = await page.locator("tbody tr").count();
      if (rows !== 200) throw new Error(`${rows} rows on the page`);
      return await page.evaluate(() => {
        const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
        return n.domComplete - n.responseEnd;
      });
    } finally {
      await page.close();
    }
  };
  await once(false); // the browser's caches
  await once(true);
  const page: number[] = [];
  const peer: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      page.push(await once(false));
      peer.push(await once(true));
    } else {
      peer.push(await once(true));
      page.push(await once(false));
    }
  }
  const fmt = (xs: number[]) =>
    `${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(", ")})`;
  console.log(`\nthe file browser, 200 entries, Chromium, ${rounds} alternating rounds:`);
  console.log(`  the page                     ${fmt(page)}`);
  console.log(`  plain rows (peer)            ${fmt(peer)}`);
  console.log(`  page / peer                  ${ratio(median(page), median(peer))}`);
  machine.footer();
} finally {
  await browser.close();
  await svc.stop();
  await Deno.remove(dir, { recursive: true });
}
