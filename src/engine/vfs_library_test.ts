import assert from "node:assert/strict";
import { VfsError } from "../vfs/types.ts";
import { describeFailure, maskOptions } from "./vfs_library.ts";

Deno.test("aft vfs test names the kind of failure first", () => {
  const cases: [VfsError, RegExp][] = [
    [new VfsError("AUTH_FAILED", "refused"), /^authentication: /],
    [new VfsError("HOST_KEY_MISMATCH", "changed"), /^host key: /],
    [new VfsError("PERMISSION_DENIED", "no"), /^permission: /],
    [new VfsError("CONNECTION", "Host name not found: getaddrinfo ENOTFOUND x"), /^DNS: /],
    [new VfsError("CONNECTION", "certificate has expired"), /^TLS: /],
    [new VfsError("CONNECTION", "connect ECONNREFUSED"), /^connection: /],
  ];
  for (const [err, want] of cases) assert.match(describeFailure(err), want);
  // A message that already names its kind is not prefixed twice.
  assert.equal(
    describeFailure(new VfsError("CONNECTION", "TLS failed with the FTP server: expired")),
    "TLS failed with the FTP server: expired",
  );
  assert.equal(describeFailure(new Error("plain")), "plain");
});

Deno.test("credentials are masked, names of secrets and host keys are not", () => {
  assert.deepEqual(
    maskOptions({
      pass: "p",
      passSecret: "name",
      secretAccessKey: "s",
      accessKeyId: "AK",
      hostKeySHA256: "SHA256:x",
      keyFile: "/k",
      accountKey: "a",
    }),
    {
      pass: "***",
      passSecret: "name",
      secretAccessKey: "***",
      accessKeyId: "AK",
      hostKeySHA256: "SHA256:x",
      keyFile: "/k",
      accountKey: "***",
    },
  );
});
