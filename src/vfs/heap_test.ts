import assert from "node:assert/strict";
import { keepFreedMemory, RELEASE_AFTER_MS } from "./heap.ts";

Deno.test("keepFreedMemory() raises glibc's limits on Linux until its users are done, and AFT_KEEP_FREED=0 leaves them", async () => {
  const linux = Deno.build.os === "linux";
  const a = keepFreedMemory();
  const b = keepFreedMemory();
  assert.equal(a.kept, linux, "on Linux with glibc (CI's Debian) the limits are set");
  assert.equal(b.kept, linux);
  a.done();
  a.done(); // counted once: b still holds
  b.done();
  // The free memory is given back later, on a timer that must not keep a process alive.
  await new Promise((resolve) => setTimeout(resolve, RELEASE_AFTER_MS + 100));
  const off = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { keepFreedMemory } from "${new URL("./heap.ts", import.meta.url)}";` +
      "const k = keepFreedMemory(); console.log(k.kept); k.done();",
    ],
    env: { AFT_KEEP_FREED: "0" },
  }).output();
  assert.equal(new TextDecoder().decode(off.stdout).trim(), "false");
  // With the limits raised, a process whose last user is done exits at once, not after the
  // release timer.
  const t0 = performance.now();
  const on = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { keepFreedMemory } from "${new URL("./heap.ts", import.meta.url)}";` +
      "const k = keepFreedMemory(); console.log(k.kept); k.done();",
    ],
  }).output();
  assert.equal(new TextDecoder().decode(on.stdout).trim(), String(linux));
  assert.ok(performance.now() - t0 < RELEASE_AFTER_MS, "the process did not wait for the timer");
});

Deno.test({
  name:
    "keepFreedMemory() grows the heap on huge pages where the kernel gives them on request, and AFT_HUGE_PAGES=0 leaves that out",
  ignore: Deno.build.os !== "linux", // /proc/self/smaps
}, async () => {
  const mode = await Deno.readTextFile("/sys/kernel/mm/transparent_hugepage/enabled")
    .catch(() => "");
  // A child process of its own: a fresh heap, and the mark seen in its own memory map.
  const marked = async (env: Record<string, string>) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { HUGE_SPAN, keepFreedMemory } from "${new URL("./heap.ts", import.meta.url)}";` +
        "const k = keepFreedMemory();" +
        // Rss of the marked ranges is not checked: memory is resident only once touched.
        "let marked = 0, size = 0;" +
        "for (const line of Deno.readTextFileSync('/proc/self/smaps').split('\\n')) {" +
        "  const m = /^Size:\\s+(\\d+) kB/.exec(line); if (m) size = Number(m[1]) * 1024;" +
        "  if (line.startsWith('VmFlags:') && / hg( |$)/.test(line)) marked += size; }" +
        "console.log(JSON.stringify({ kept: k.kept, marked, span: HUGE_SPAN })); k.done();",
      ],
      env,
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout)) as {
      kept: boolean;
      marked: number;
      span: number;
    };
  };
  const on = await marked({});
  if (mode.includes("[madvise]")) {
    // The span less the 2 MiB ranges at either end that are not wholly new memory.
    assert.ok(on.marked >= on.span - 4 * 1024 * 1024, `marked ${on.marked} bytes`);
    assert.ok(on.marked <= on.span + 16 * 1024 * 1024, `marked ${on.marked} bytes`);
  } else {
    assert.equal(on.marked, 0, `THP mode "${mode.trim()}": nothing to mark`);
  }
  assert.equal((await marked({ AFT_HUGE_PAGES: "0" })).marked, 0);
  assert.equal((await marked({ AFT_KEEP_FREED: "0" })).marked, 0);
});
