import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { parseRunArgs, serviceFileQuick } from "./cli_run.ts";
import { resolveDataDir } from "./engine/data_dir.ts";

Deno.test("parseRunArgs reads a plain aft run command line, global flags before run too", () => {
  assert.deepEqual(parseRunArgs(["run", "-f", "x.syncjs"]), { file: "x.syncjs", progress: true });
  assert.deepEqual(
    parseRunArgs([
      "--data",
      "/tmp/d",
      "--debug",
      "run",
      "--file=a b.js",
      "--params",
      '{"k":"v"}',
      "--no-progress",
      "--timings",
    ]),
    { file: "a b.js", params: '{"k":"v"}', data: "/tmp/d", debug: true, progress: false },
  );
});

Deno.test("parseRunArgs leaves to the full parser anything it does not know exactly", () => {
  for (
    const args of [
      ["run"], // no file: the parser says what is missing
      ["run", "--help"],
      ["run", "-f"],
      ["run", "-f", "-p"], // a value that starts with "-"
      ["run", "-f", ""],
      ["run", "-f", "a", "-f", "b"], // repeated
      ["run", "-f", "a", "--", "b"],
      ["run", "-f", "a", "extra"],
      ["run", "--fil", "a"], // misspelt
      ["-f", "a", "run"], // a run flag before run
      ["run", "--no-progress=1", "-f", "a"],
      ["start"],
      ["jobs", "run", "-f", "a"],
      ["run", "run", "-f", "a"],
      ["run", "--constructor", "a", "-f", "a"], // a name on Object.prototype
      ["run", "--__proto__", "-f", "a"],
    ]
  ) {
    assert.equal(parseRunArgs(args), undefined, args.join(" "));
  }
});

Deno.test("serviceFileQuick names the service.json of the data directory resolveDataDir finds", {
  ignore: Deno.build.os === "windows",
}, () => {
  const saved = { AFT_HOME: Deno.env.get("AFT_HOME"), HOME: Deno.env.get("HOME") };
  const set = (name: string, value: string | undefined) =>
    value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value);
  try {
    const cases: [string | undefined, string | undefined, string | undefined][] = [
      ["/tmp/aft data", "/elsewhere", "/home/x"],
      ["rel/dir/", undefined, "/home/x"],
      ["..", undefined, "/home/x"],
      [undefined, "/srv/aft/", "/home/x"],
      [undefined, "relative home", "/home/x"],
      [undefined, undefined, "/home/o'neil"],
      [undefined, "", "/home/x"],
    ];
    for (const [flag, aftHome, home] of cases) {
      set("AFT_HOME", aftHome);
      set("HOME", home);
      const quick = serviceFileQuick(flag, (n) => Deno.env.get(n), Deno.build.os);
      assert.equal(resolve(quick!), join(resolveDataDir(flag), "service.json"), `${flag}`);
    }
    set("AFT_HOME", undefined);
    set("HOME", undefined);
    assert.equal(serviceFileQuick(undefined, (n) => Deno.env.get(n), "linux"), undefined);
    assert.equal(serviceFileQuick("C:\\aft", () => undefined, "windows"), undefined);
  } finally {
    set("AFT_HOME", saved.AFT_HOME);
    set("HOME", saved.HOME);
  }
});
