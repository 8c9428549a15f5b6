import * as assert from "node:assert/strict";
import { join } from "node:path";
import { dataDirOfUnit, systemdUnit } from "./systemd.ts";
import type { ServicePlan } from "./types.ts";

function plan(over: Partial<ServicePlan> = {}): ServicePlan {
  return {
    command: [Deno.execPath()],
    dataDir: "/var/lib/aft",
    stopTimeoutSeconds: 40,
    writablePaths: ["/var/lib/aft", "/srv/files"],
    anyFolder: false,
    version: "0.1.0",
    ...over,
  };
}

function hasSystemdAnalyze(): boolean {
  try {
    Deno.statSync("/usr/bin/systemd-analyze");
    return true;
  } catch {
    return false;
  }
}

async function verify(text: string): Promise<{ code: number; out: string }> {
  const dir = await Deno.makeTempDir({ prefix: "aft-unit-" });
  try {
    const file = join(dir, "aft.service");
    await Deno.writeTextFile(file, text);
    const r = await new Deno.Command("systemd-analyze", {
      args: ["verify", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "systemdUnit() passes systemd-analyze verify, with and without localRoots",
  ignore: !hasSystemdAnalyze(),
  async fn(t) {
    for (
      const [label, p] of [
        ["locked to the roots", plan()],
        ["any folder", plan({ anyFolder: true, writablePaths: ["/var/lib/aft"] })],
        ["a listen address and a user", plan({ listen: "0.0.0.0:8443", user: "root" })],
        [
          "hostile paths",
          plan({
            dataDir: '/var/lib/aft data/50% "x" $HOME',
            writablePaths: ['/var/lib/aft data/50% "x" $HOME', "/home/ops/in box"],
          }),
        ],
      ] as const
    ) {
      await t.step(label, async () => {
        const r = await verify(systemdUnit(p));
        assert.equal(r.code, 0, r.out);
        assert.doesNotMatch(r.out, /Unknown|Invalid|Failed|ignoring/i, r.out);
      });
    }
  },
});

Deno.test("systemdUnit() restarts on failure, outwaits the halt grace period, and locks the system", () => {
  const text = systemdUnit(plan({ stopTimeoutSeconds: 70 }));
  for (
    const line of [
      "Restart=on-failure",
      "TimeoutStopSec=70",
      "KillMode=mixed",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "PrivateTmp=yes",
      "WantedBy=multi-user.target",
    ]
  ) {
    assert.ok(text.split("\n").includes(line), `${line} in\n${text}`);
  }
  assert.match(text, /^ReadWritePaths="\/var\/lib\/aft" -"\/srv\/files"/m);
  assert.doesNotMatch(text, /MemoryDenyWriteExecute/); // V8 writes code at run time
  assert.match(text, /^ProtectHome=(yes|read-only)$/m);
  // A binary under /home stays reachable.
  const home = systemdUnit(plan({ command: ["/home/runner/work/aft/aft"] }));
  assert.match(home, /^ProtectHome=read-only$/m);
  const open = systemdUnit(plan({ anyFolder: true }));
  assert.match(open, /^ProtectSystem=full$/m);
  assert.doesNotMatch(open, /ProtectHome/);
});

Deno.test("dataDirOfUnit() reads back the data directory, whatever it holds", () => {
  for (const dir of ["/var/lib/aft", '/d/50% "q" $HOME \\x', "/d/with space"]) {
    assert.equal(dataDirOfUnit(systemdUnit(plan({ dataDir: dir }))), dir);
  }
});
