/**
 * The web console's weight and speed: for each page of `tests/ui/pages.ts`, the bytes a
 * browser with an empty cache receives (the page and every asset it links, compressed as
 * sent: headers and bodies), and the server's time to first byte of the page against
 * `GET /v1/health` in the same run (median of interleaved rounds over one kept-alive HTTP/2
 * connection, measured by curl from request sent to first byte).
 *
 *     deno task bench:ui [--rounds 30] [--allow-busy]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startConsole } from "../tests/ui/_console.ts";
import { CONSOLE_PAGES, PAGE_BUDGET } from "../tests/ui/pages.ts";
import { machineCheck } from "./_machine.ts";

const machine = machineCheck(Deno.args);
const { values } = parseArgs({
  args: machine.args,
  options: { rounds: { type: "string", default: "30" } },
});
const ROUNDS = Math.max(3, Number(values.rounds));

interface Transfer {
  url: string;
  code: number;
  bytes: number;
  /** From request sent to first byte, in ms. */
  ttfb: number;
}

/** Fetches `urls` in order over one curl process (one kept-alive connection). */
async function curl(urls: string[]): Promise<Transfer[]> {
  const args = [
    "-sk",
    "--compressed",
    "-w",
    "%{url_effective} %{http_code} %{size_download} %{size_header} %{time_pretransfer} %{time_starttransfer}\\n",
  ];
  for (const u of urls) args.push(u, "-o", "/dev/null");
  const out = await new Deno.Command("curl", { args, stdout: "piped", stderr: "inherit" }).output();
  if (!out.success) throw new Error(`curl failed: exit ${out.code}`);
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => {
    const [url, code, body, head, pre, start] = l.split(" ");
    return {
      url: url!,
      code: Number(code),
      bytes: Number(body) + Number(head),
      ttfb: (Number(start) - Number(pre)) * 1000,
    };
  });
}

/** The asset URLs a page's HTML links (stylesheet, scripts, icons, favicon, editor data). */
function linkedAssets(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/(?:href|src|data-script-api)="(\/assets\/[^"#]+)/g)) {
    found.add(m[1]!);
  }
  return [...found];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const svc = await startConsole();
try {
  const t0 = performance.now();
  const first = await curl([`${svc.url}/`]);
  const firstMs = performance.now() - t0;
  if (first[0]!.code !== 200) throw new Error(`GET / answered ${first[0]!.code}`);

  const rows: string[][] = [];
  const paths = CONSOLE_PAGES.map((p) => p.path);
  const ttfb = new Map<string, number[]>([
    ["/v1/health", []],
    ...paths.map((p) => [p, []] as [string, number[]]),
  ]);
  for (let r = 0; r < ROUNDS; r++) {
    // The first request of a connection also waits for its setup: a warm-up, not counted.
    // Each round starts at another page, so no page always comes first.
    const order = paths.map((_, i) => paths[(i + r) % paths.length]!);
    const urls = [
      `${svc.url}/v1/health`,
      ...order.flatMap((p) => [`${svc.url}${p}`, `${svc.url}/v1/health`]),
    ];
    for (const t of (await curl(urls)).slice(1)) {
      const u = new URL(t.url);
      ttfb.get(u.pathname + u.search)!.push(t.ttfb); // a page's path may carry a query
    }
  }
  const health = median(ttfb.get("/v1/health")!);
  const client = Deno.createHttpClient({
    caCerts: [await Deno.readTextFile(`${svc.data}/tls/ca.pem`)],
  });
  for (const p of CONSOLE_PAGES) {
    const html = await (await fetch(`${svc.url}${p.path}`, { client })).text();
    const transfers = await curl([
      `${svc.url}${p.path}`,
      ...linkedAssets(html).map((a) => svc.url + a),
    ]);
    const bytes = transfers.reduce((a, t) => a + t.bytes, 0);
    const page = median(ttfb.get(p.path)!);
    rows.push([
      p.path,
      String(transfers.length - 1),
      `${(bytes / 1024).toFixed(1)} KiB`,
      p.editor ? "(editor)" : bytes < PAGE_BUDGET ? "under 150 KiB" : "OVER 150 KiB",
      `${page.toFixed(2)} ms`,
      `${health.toFixed(2)} ms`,
      `${(page / health).toFixed(1)}x`,
    ]);
  }
  client.close();
  const head = [
    "page",
    "assets",
    "sent (compressed)",
    "budget",
    "TTFB page",
    "TTFB /v1/health",
    "ratio",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(
    `aft web console, ${ROUNDS} rounds; first request ${
      firstMs.toFixed(0)
    } ms (bundles the assets)\n`,
  );
  console.log(line(head));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
  machine.footer();
} finally {
  await svc.stop();
}
