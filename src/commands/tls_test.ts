import assert from "node:assert/strict";
import { CliError } from "../errors.ts";
import { privilegePrefix } from "./tls.ts";

Deno.test("privilegePrefix(): root runs the commands itself, others through sudo", () => {
  assert.deepEqual(privilegePrefix("linux", 0, "/usr/bin/sudo", false, "trust"), []);
  // On a terminal sudo may ask for a password; elsewhere it must not wait for one.
  assert.deepEqual(privilegePrefix("linux", 1000, "/usr/bin/sudo", true, "trust"), [
    "/usr/bin/sudo",
  ]);
  assert.deepEqual(privilegePrefix("darwin", 501, "/usr/bin/sudo", false, "trust"), [
    "/usr/bin/sudo",
    "-n",
  ]);
  // Windows has no sudo: certutil refuses a non-administrator, and that refusal is reported.
  assert.deepEqual(privilegePrefix("windows", null, undefined, true, "trust"), []);
});

Deno.test("privilegePrefix() says root is needed when the user is not root and has no sudo", () => {
  assert.throws(
    () => privilegePrefix("linux", 1000, undefined, true, "untrust"),
    (err: unknown) =>
      err instanceof CliError &&
      /needs root: run "aft tls untrust" as root \(sudo is not installed\)/.test(err.message),
  );
});
