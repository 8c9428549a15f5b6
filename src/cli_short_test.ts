import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { parseRunArgs, parseStartArgs, serviceFileQuick } from "./cli_short.ts";
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

Deno.test("parseStartArgs reads a plain aft start command line as the full parser would", () => {
  assert.deepEqual(
    parseStartArgs([
      "--data",
      "/tmp/d",
      "start",
      "-n",
      "My Backup Job",
      "-a",
      "key",
      "--params",
      '{"k":"v"}',
      "--host=127.0.0.1:44399",
      "--ca-cert",
      "ca.pem",
      "--wait",
      "--insecure",
      "--timings",
    ]),
    {
      data: "/tmp/d",
      name: "My Backup Job",
      apikey: "key",
      params: '{"k":"v"}',
      host: "127.0.0.1:44399",
      caCert: "ca.pem",
      wait: true,
      insecure: true,
    },
  );
  // Seed 002's v3 form, and the long names.
  assert.deepEqual(
    parseStartArgs(["start", "--scriptid", "01abc", "--apikey", "k", "--debug"]),
    { scriptid: "01abc", apikey: "k", debug: true },
  );
  // No script named: start.ts says so, as it does after the full parser.
  assert.deepEqual(parseStartArgs(["start"]), {});
  for (
    const args of [
      ["start", "--help"],
      ["start", "-n"],
      ["start", "-n", "a", "-n", "b"],
      ["start", "-n", "a", "--wait=yes"],
      ["start", "-a", "-secret-starting-with-dash"],
      ["start", "-n", "a", "--no-progress"], // a flag of run, not of start
      ["start", "-n", "a", "extra"],
      ["-n", "a", "start"],
      ["run", "-n", "a"],
      ["start", "--hasOwnProperty", "x"],
    ]
  ) {
    assert.equal(parseStartArgs(args), undefined, args.join(" "));
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
