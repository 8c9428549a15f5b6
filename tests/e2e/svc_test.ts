/**
 * `aft svc` against stand-in service managers: `systemctl` and `launchctl` scripts first on
 * PATH record their arguments (no init system runs here), and the unit or plist goes under a
 * temporary root (AFT_SVC_ROOT). The real install runs in CI (.github/workflows/ci.yml).
 */

import * as assert from "node:assert/strict";
import { join } from "node:path";
import { runAft, tempDataDir } from "./_cli.ts";

const isRoot = Deno.build.os !== "windows" && Deno.uid() === 0;

interface Fake {
  root: string;
  data: string;
  env: Record<string, string>;
  calls(): string[];
  /** What the stand-in answers to `show`/`print`: running or not. */
  setRunning(running: boolean): Promise<void>;
}

async function withFake(manager: "systemd" | "launchd", fn: (f: Fake) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "aft-svc-" });
  const bin = join(root, "bin");
  await Deno.mkdir(bin);
  const log = join(root, "calls.log");
  const state = join(root, "running");
  // systemctl: records; `show` prints the properties aft asks for.
  await Deno.writeTextFile(
    join(bin, "systemctl"),
    `#!/bin/sh
echo "systemctl $*" >> "${log}"
if [ "$1" = show ]; then
  if [ -e "${state}" ]; then printf 'ActiveState=active\\nSubState=running\\nMainPID=4242\\n'
  else printf 'ActiveState=inactive\\nSubState=dead\\nMainPID=0\\n'; fi
fi
exit 0
`,
  );
  // launchctl: records; `print` fails (113) unless loaded, `bootstrap` loads, `bootout` unloads.
  await Deno.writeTextFile(
    join(bin, "launchctl"),
    `#!/bin/sh
echo "launchctl $*" >> "${log}"
case "$1" in
  print) [ -e "${state}" ] || exit 113; printf 'system/aft.service = {\\n\\tstate = running\\n\\tpid = 4343\\n}\\n' ;;
  bootstrap) touch "${state}" ;;
  bootout) rm -f "${state}" ;;
esac
exit 0
`,
  );
  await Deno.chmod(join(bin, "systemctl"), 0o755);
  await Deno.chmod(join(bin, "launchctl"), 0o755);
  const data = join(await tempDataDir(), "svc data");
  try {
    await fn({
      root,
      data,
      env: {
        PATH: `${bin}:${Deno.env.get("PATH")}`,
        AFT_SVC_ROOT: root,
        AFT_SVC_MANAGER: manager,
      },
      calls: () => {
        try {
          const text = Deno.readTextFileSync(log);
          Deno.removeSync(log);
          return text.trim().split("\n");
        } catch {
          return [];
        }
      },
      setRunning: async (on) => {
        if (on) await Deno.writeTextFile(state, "");
        else await Deno.remove(state).catch(() => {});
      },
    });
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(join(data, ".."), { recursive: true });
  }
}

Deno.test({
  name:
    "aft svc on systemd: install writes the unit and enables it, status, stop, start, uninstall keeps the data",
  ignore: !isRoot || Deno.build.os !== "linux",
}, async () => {
  await withFake("systemd", async (f) => {
    const unit = join(f.root, "etc", "systemd", "system", "aft.service");
    const none = await runAft(["svc", "status"], { env: f.env });
    assert.equal(none.code, 3);
    assert.match(none.stdout, /state: +not installed/);

    await runAft(["settings", "set", "haltGraceSeconds", "25"], { data: f.data, env: f.env });
    await runAft(["settings", "set", "localRoots", '["/srv/aft in"]'], {
      data: f.data,
      env: f.env,
    });
    const inst = await runAft(["svc", "install", "--listen", "0.0.0.0:8443"], {
      data: f.data,
      env: f.env,
    });
    assert.equal(inst.code, 0, inst.stderr);
    assert.match(inst.stderr, /installed the systemd service/);
    assert.deepEqual(f.calls(), [
      "systemctl daemon-reload",
      "systemctl enable aft.service",
      "systemctl restart aft.service",
    ]);
    const text = await Deno.readTextFile(unit);
    assert.match(
      text,
      /^ExecStart=.* "serve" "--data" ".*\/svc data" "--listen" "0\.0\.0\.0:8443"$/m,
    );
    assert.match(text, /^TimeoutStopSec=55$/m);
    assert.match(text, /^ReadWritePaths=".*\/svc data" -"\/srv\/aft in"/m);
    assert.match(text, /^ProtectSystem=strict$/m);

    // Again with a store that does not answer (no host "db"): installed on default settings,
    // saying so; the store's password is in DATA/config.json (0600), never in the unit.
    const withStore = await runAft(
      [
        "svc",
        "install",
        "--listen",
        "0.0.0.0:8443",
        "--store",
        "postgres://aft:p%40ss@db:5432/aft",
      ],
      { data: f.data, env: f.env },
    );
    assert.equal(withStore.code, 0, withStore.stderr);
    assert.match(withStore.stderr, /the unit uses the default settings/);
    assert.doesNotMatch(withStore.stderr, /p%40ss|p@ss/);
    assert.deepEqual(f.calls(), [
      "systemctl daemon-reload",
      "systemctl enable aft.service",
      "systemctl restart aft.service",
    ]);
    const text2 = await Deno.readTextFile(unit);
    assert.doesNotMatch(text2, /p%40ss|postgres/);
    assert.doesNotMatch(text2, /srv\/aft in/);
    const config = join(f.data, "config.json");
    assert.equal(
      JSON.parse(await Deno.readTextFile(config)).store,
      "postgres://aft:p%40ss@db:5432/aft",
    );
    assert.equal((await Deno.stat(config)).mode! & 0o777, 0o600);

    await f.setRunning(true);
    const st = await runAft(["svc", "status", "--json"], { env: f.env });
    assert.equal(st.code, 0);
    const s = JSON.parse(st.stdout);
    assert.equal(s.state, "running");
    assert.equal(s.pid, 4242);
    assert.equal(s.dataDir, f.data);
    assert.match(s.log, /svc data\/logs\/aft\.log/);
    f.calls();

    for (const action of ["stop", "start", "restart"]) {
      const r = await runAft(["svc", action], { env: f.env });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(f.calls(), [`systemctl ${action} aft.service`]);
    }
    await f.setRunning(false);
    const stopped = await runAft(["svc", "status"], { env: f.env });
    assert.equal(stopped.code, 3);
    assert.match(stopped.stdout, /state: +stopped/);
    f.calls();

    const un = await runAft(["svc", "uninstall"], { env: f.env });
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stderr, /the data directory ".*svc data" is kept/);
    assert.deepEqual(f.calls().filter((c) => !c.startsWith("systemctl show")).slice(0, 2), [
      "systemctl disable --now aft.service",
      "systemctl daemon-reload",
    ]);
    await assert.rejects(Deno.stat(unit));
    assert.ok((await Deno.stat(join(f.data, "aft.db"))).isFile);
    const again = await runAft(["svc", "stop"], { env: f.env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not installed: install it with "sudo aft svc install"/);
  });
});

Deno.test({
  name: "aft svc on launchd: bootstrap on install, kickstart, bootout on stop and uninstall",
  ignore: !isRoot || Deno.build.os === "windows",
}, async () => {
  await withFake("launchd", async (f) => {
    const plist = join(f.root, "Library", "LaunchDaemons", "aft.service.plist");
    const inst = await runAft(["svc", "install", "--user", "root"], { data: f.data, env: f.env });
    assert.equal(inst.code, 0, inst.stderr);
    assert.deepEqual(f.calls(), [
      "launchctl print system/aft.service",
      "launchctl enable system/aft.service",
      `launchctl bootstrap system ${plist}`,
    ]);
    const text = await Deno.readTextFile(plist);
    assert.match(text, /<key>UserName<\/key>\s*<string>root<\/string>/);
    const st = await runAft(["svc", "status", "--json"], { env: f.env });
    assert.equal(st.code, 0, st.stdout);
    assert.equal(JSON.parse(st.stdout).pid, 4343);
    f.calls();
    assert.equal((await runAft(["svc", "restart"], { env: f.env })).code, 0);
    assert.deepEqual(f.calls(), [
      "launchctl print system/aft.service",
      "launchctl kickstart -k system/aft.service",
    ]);
    assert.equal((await runAft(["svc", "stop"], { env: f.env })).code, 0);
    assert.deepEqual(f.calls(), [
      "launchctl print system/aft.service",
      "launchctl bootout system/aft.service",
    ]);
    assert.equal((await runAft(["svc", "start"], { env: f.env })).code, 0);
    assert.deepEqual(f.calls(), [
      "launchctl print system/aft.service",
      `launchctl bootstrap system ${plist}`,
    ]);
    assert.equal((await runAft(["svc", "uninstall"], { env: f.env })).code, 0);
    await assert.rejects(Deno.stat(plist));
  });
});

Deno.test({
  name:
    "aft svc install refuses control characters, a bad --listen, an unknown user and flags on other actions",
  ignore: !isRoot || Deno.build.os !== "linux",
}, async () => {
  await withFake("systemd", async (f) => {
    const cases: [string[], RegExp][] = [
      [["svc", "install", "--data", "/tmp/a\nb"], /--data must not hold control characters/],
      [["svc", "install", "--listen", "nope:port"], /--listen takes HOST:PORT/],
      [["svc", "install", "--user", "no-such-user-aft"], /There is no user "no-such-user-aft"/],
      [["svc", "install", "--store", "mysql://x"], /--store takes postgres:\/\//],
      [["svc", "stop", "--listen", "127.0.0.1:1"], /unknown option .--listen./],
    ];
    for (const [args, re] of cases) {
      const r = await runAft(args, {
        data: args.includes("--data") ? undefined : f.data,
        env: f.env,
      });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.deepEqual(f.calls(), []);
  });
});
