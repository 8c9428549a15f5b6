import * as assert from "node:assert/strict";
import { join } from "node:path";
import { dataDirOfPlist, LABEL, launchdPlist } from "./launchd.ts";
import type { ServicePlan } from "./types.ts";

function plan(over: Partial<ServicePlan> = {}): ServicePlan {
  return {
    command: ["/usr/local/bin/aft"],
    dataDir: "/Library/Application Support/aft",
    stopTimeoutSeconds: 40,
    writablePaths: [],
    anyFolder: true,
    version: "0.1.0",
    ...over,
  };
}

/** The plist as Python's plistlib reads it (a real parser), as JSON. */
async function parsePlist(text: string): Promise<Record<string, unknown>> {
  const dir = await Deno.makeTempDir({ prefix: "aft-plist-" });
  try {
    const file = join(dir, "aft.plist");
    await Deno.writeTextFile(file, text);
    const r = await new Deno.Command("python3", {
      args: [
        "-c",
        "import json,plistlib,sys; print(json.dumps(plistlib.load(open(sys.argv[1],'rb'))))",
        file,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    // plutil -lint, where there is one (macOS).
    let lint: Deno.CommandOutput | undefined;
    try {
      lint = await new Deno.Command("plutil", { args: ["-lint", file] }).output();
    } catch { /* no plutil here */ }
    if (lint) assert.equal(lint.code, 0);
    return JSON.parse(new TextDecoder().decode(r.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("launchdPlist() is a plist a real parser reads, with the daemon's keys", async () => {
  const p = await parsePlist(launchdPlist(plan({ user: "_aft", listen: "127.0.0.1:44399" })));
  assert.equal(p.Label, LABEL);
  assert.deepEqual(p.ProgramArguments, [
    "/usr/local/bin/aft",
    "serve",
    "--data",
    "/Library/Application Support/aft",
    "--quiet",
    "--listen",
    "127.0.0.1:44399",
  ]);
  assert.equal(p.RunAtLoad, true);
  assert.deepEqual(p.KeepAlive, { SuccessfulExit: false });
  assert.equal(p.ExitTimeOut, 40);
  assert.equal(p.UserName, "_aft");
  assert.equal(p.StandardErrorPath, "/Library/Application Support/aft/logs/launchd.log");
  assert.equal(p.StandardOutPath, p.StandardErrorPath);
});

Deno.test("launchdPlist() keeps markup characters in paths as text", async () => {
  const dir = '/Users/o\'k/a & b <c> "d"';
  const text = launchdPlist(plan({ dataDir: dir }));
  const p = await parsePlist(text);
  assert.equal((p.ProgramArguments as string[])[3], dir);
  assert.equal(p.WorkingDirectory, dir);
  assert.equal(p.UserName, undefined);
  assert.equal(dataDirOfPlist(text), dir);
});
