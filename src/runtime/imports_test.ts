/**
 * The runtime's layering, read from its import statements (static, type-only and dynamic
 * `import("...")` with a literal path): one folder per process, `protocol/` shared, no circle.
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../", import.meta.url));
const RUNTIME = join(SRC, "runtime");

/** Every `.ts` file under `dir`, tests included. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await tsFiles(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The files of `src/` that `file` imports by relative path. */
async function importsOf(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(file);
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (spec.startsWith(".")) out.push(resolve(dirname(file), spec));
  }
  return out;
}

/** The import graph of the runtime's modules (tests left out: they may reach across). */
async function graph(): Promise<Map<string, string[]>> {
  const g = new Map<string, string[]>();
  for (const f of await tsFiles(RUNTIME)) {
    if (f.endsWith("_test.ts") || f.includes("/_test_")) continue;
    g.set(f, await importsOf(f));
  }
  return g;
}

const rel = (p: string) => relative(SRC, p);
const area = (p: string) => relative(RUNTIME, p).split("/")[0]!;

Deno.test("runtime modules import across processes only through protocol/", async () => {
  const allowed: Record<string, string[]> = {
    protocol: ["protocol"],
    worker: ["protocol", "worker"],
    runner: ["protocol", "runner", "mail"],
    service: ["protocol", "service"],
    mail: ["protocol", "mail"],
  };
  const bad: string[] = [];
  for (const [file, deps] of await graph()) {
    const from = area(file);
    const ok = allowed[from];
    if (!ok) continue; // typings.ts and this test: no imports of the runtime
    for (const d of deps) {
      if (!d.startsWith(RUNTIME + "/")) continue;
      if (!ok.includes(area(d))) bad.push(`${rel(file)} -> ${rel(d)}`);
    }
  }
  assert.deepEqual(bad, []);
});

Deno.test("runtime modules import no module that imports them back", async () => {
  const g = await graph();
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const d of g.get(f) ?? []) {
      if (!g.has(d)) continue;
      if (state.get(d) === "open") {
        cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(" -> "));
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

Deno.test("the import reader sees static, type-only and dynamic imports", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = join(dir, "a.ts");
    await Deno.writeTextFile(
      f,
      'import { x } from "./b.ts";\nimport type {\n  Y,\n} from "../c.ts";\nexport { z } from "./d.ts";\nconst m = await import("./e.ts");\nimport "npm:hono";\n',
    );
    assert.deepEqual(
      (await importsOf(f)).map((p) => relative(dir, p)),
      ["b.ts", "../c.ts", "d.ts", "e.ts"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
