import assert from "node:assert/strict";
import { isVfsError } from "./types.ts";
import { checkVfsOptions, VFS_OPTIONS } from "./option_rules.ts";

const refused = (type: string, options: Record<string, unknown>, message: RegExp) =>
  assert.throws(
    () => checkVfsOptions(type, options),
    (e) => isVfsError(e, "INVALID_PATH") && message.test(e.message),
    JSON.stringify(options),
  );

Deno.test("VFS options: every option a backend reads is taken, with NAMESecret for each; values in range", () => {
  for (const [type, keys] of Object.entries(VFS_OPTIONS)) {
    const options = Object.fromEntries(keys.flatMap((k) => [[k, ""], [`${k}Secret`, "name"]]));
    delete options.tls; // no empty value: its own case below
    checkVfsOptions(type, options);
  }
  checkVfsOptions("s3", { partSizeMiB: "16", concurrency: "8", idleTimeoutSeconds: "60" });
  checkVfsOptions("ftps", { tls: "implicit", tlsInsecure: "true" });
  checkVfsOptions("s3", { forcePathStyle: "false" });
  checkVfsOptions("memory", { anything: "x" }); // not a library type: not checked here
});

Deno.test("VFS options: a misspelt or foreign name, a value out of range or of the wrong kind is refused, saying which", () => {
  refused(
    "azure",
    { idleTimeoutSecond: "30" },
    /^Unknown option "idleTimeoutSecond" for VFS type azure \(did you mean "idleTimeoutSeconds"\?\): it takes accountKey, /,
  );
  refused("sftp", { Pass: "x" }, /did you mean "pass"/);
  refused("sftp", { accountKey: "x" }, /^Unknown option "accountKey" for VFS type sftp: it takes/);
  refused("gcs", { bogusSecret: "n" }, /Unknown option "bogusSecret"/);
  refused("disk", { pass: "x" }, /^VFS type disk takes no options, not "pass"$/);
  refused("s3", { partSizeMiB: "4" }, /"partSizeMiB" option must be a whole number from 5 to 1024/);
  refused("azure", { concurrency: "0" }, /"concurrency" option/);
  refused("gcs", { idleTimeoutSeconds: "1.5" }, /"idleTimeoutSeconds" option/);
  refused("ftps", { tls: "" }, /"tls" option takes none, explicit or implicit, not ""/);
  refused("ftp", { tlsInsecure: "yes" }, /"tlsInsecure" option takes true or false, not "yes"/);
  refused("s3", { accessKeyId: 5 }, /"accessKeyId" option must be text, not 5/);
  refused(
    "sftp",
    { passSecret: " " },
    /"passSecret" option names a secret: give the secret's name/,
  );
});
