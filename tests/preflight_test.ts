import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { missingMessage, missingPackages, parsePackages, present } from "./preflight.ts";

Deno.test("parsePackages() reads package and probe, skipping comments and blank lines", () => {
  const list = parsePackages("# a comment\n\nvsftpd   /usr/sbin/vsftpd\n  rclone rclone  \nzip\n");
  assert.deepEqual(list, [
    { pkg: "vsftpd", probe: "/usr/sbin/vsftpd" },
    { pkg: "rclone", probe: "rclone" },
    { pkg: "zip", probe: "zip" },
  ]);
});

Deno.test("missingPackages() finds a package by path or by a command on PATH", async () => {
  const here = fileURLToPath(import.meta.url);
  assert.equal(await present(here), true);
  assert.equal(await present("/nonexistent/aft-preflight"), false);
  assert.equal(await present("aft-no-such-command-anywhere"), false);
  const missing = await missingPackages([
    { pkg: "this-file", probe: here },
    { pkg: "gone", probe: "/nonexistent/aft-preflight" },
    { pkg: "nocmd", probe: "aft-no-such-command-anywhere" },
  ]);
  assert.deepEqual(missing.map((m) => m.pkg), ["gone", "nocmd"]);
});

Deno.test("missingMessage() names what is missing and the one command, with sudo unless root", () => {
  const m = [{ pkg: "vsftpd", probe: "/usr/sbin/vsftpd" }, { pkg: "rclone", probe: "rclone" }];
  const user = missingMessage(m, false);
  assert.match(user, /lacks Debian packages the tests need: vsftpd rclone/);
  assert.match(user, /\n {4}sudo \.ci\/setup$/);
  assert.match(missingMessage(m, true), /\n {4}\.ci\/setup$/);
});

Deno.test("every package in .ci/packages.txt has a probe", async () => {
  const text = await Deno.readTextFile(new URL("../.ci/packages.txt", import.meta.url));
  const list = parsePackages(text);
  assert.ok(list.length > 5);
  for (const p of list) assert.ok(p.probe !== "", p.pkg);
});
