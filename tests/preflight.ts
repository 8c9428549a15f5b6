/**
 * The first step of `deno task test`: before any test runs, says what this machine lacks and the
 * one command that installs it, and puts the npm test servers (s3rver, Azurite, the Cloud
 * Storage emulator) in Deno's npm cache, once. Exits 1 when something is missing.
 *
 * The backend suites run on Linux only (macOS and Windows run the rest), so the Debian packages
 * and the npm servers are looked for there.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LAUNCHERS, TOOLS_DIR } from "./fixtures/npm_server.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** A line of `.ci/packages.txt`: a Debian package and what shows it is installed. */
export interface PackageProbe {
  pkg: string;
  probe: string;
}

/** Parses `.ci/packages.txt` (comments and blank lines skipped). */
export function parsePackages(text: string): PackageProbe[] {
  return text.split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [pkg, probe] = l.split(/\s+/);
      return { pkg: pkg!, probe: probe ?? pkg! };
    });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Whether `probe` (an absolute path, or a command on PATH or in the sbin folders) is there. */
export async function present(probe: string): Promise<boolean> {
  if (probe.startsWith("/")) return await exists(probe);
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin"];
  for (const d of dirs.filter(Boolean)) {
    if (await exists(join(d, probe))) return true;
  }
  return false;
}

/** The packages of `list` that are missing here. */
export async function missingPackages(list: PackageProbe[]): Promise<PackageProbe[]> {
  const out: PackageProbe[] = [];
  for (const p of list) if (!(await present(p.probe))) out.push(p);
  return out;
}

/** The message for missing packages: what, and the one command that installs everything. */
export function missingMessage(missing: PackageProbe[], root: boolean): string {
  const names = missing.map((m) => m.pkg).join(" ");
  return [
    `deno task test: this machine lacks Debian packages the tests need: ${names}`,
    "Install them (and anything else the tests need) with one command, then run the tests again:",
    `    ${root ? "" : "sudo "}.ci/setup`,
  ].join("\n");
}

/** Whether the npm packages of `.ci/tools/deno.json` are in Deno's npm cache (their top level). */
async function npmServersCached(): Promise<boolean> {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  const cache = JSON.parse(new TextDecoder().decode(info.stdout)).npmCache as string;
  const config = JSON.parse(await Deno.readTextFile(join(TOOLS_DIR, "deno.json")));
  for (const spec of Object.values(config.imports as Record<string, string>)) {
    const m = /^npm:(@?[^@]+)@(.+)$/.exec(spec);
    if (!m || !(await exists(join(cache, "registry.npmjs.org", m[1]!, m[2]!)))) return false;
  }
  return true;
}

async function cacheNpmServers(): Promise<boolean> {
  if (!(await npmServersCached())) {
    console.error(
      "deno task test: putting the npm test servers (s3rver, Azurite, the Cloud Storage " +
        "emulator) in Deno's cache, once",
    );
  }
  const files = LAUNCHERS.map((l) => join(TOOLS_DIR, l));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["cache", "--quiet", "--frozen", "--config", join(TOOLS_DIR, "deno.json"), ...files],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  // Deno warns that it skipped build scripts (re2, protobufjs): the servers run without them.
  if (!out.success) console.error(err);
  return out.success;
}

async function main(): Promise<number> {
  if (Deno.build.os !== "linux") return 0;
  const list = parsePackages(await Deno.readTextFile(join(ROOT, ".ci", "packages.txt")));
  const missing = await missingPackages(list);
  if (missing.length > 0) {
    console.error(missingMessage(missing, Deno.uid() === 0));
    return 1;
  }
  if (Deno.uid() !== 0) {
    console.error(
      "deno task test: not root, so the suites that log in a throw-away system account (vsftpd, " +
        "SFTP passwords, the examples) are skipped; CI runs them as root",
    );
  }
  if (!(await cacheNpmServers())) {
    console.error(
      "deno task test: the npm test servers could not be put in Deno's cache (is the npm " +
        "registry reachable?); the lockfile is .ci/tools/deno.lock",
    );
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
