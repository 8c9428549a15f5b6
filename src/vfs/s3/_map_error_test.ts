import assert from "node:assert/strict";
import { mapS3Error } from "./_map_error.ts";

const status = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

Deno.test("mapS3Error() reads S3's error names, then status, network and TLS failures", () => {
  const cases: [unknown, string, boolean, string][] = [
    [
      { name: "NoSuchKey", message: "gone", ...status(404) },
      "NOT_FOUND",
      false,
      'No such file or folder: "/k"',
    ],
    // A HEAD answer has no body: only the status names the failure.
    [{ name: "NotFound", ...status(404) }, "NOT_FOUND", false, 'No such file or folder: "/k"'],
    [
      { Code: "NoSuchBucket", message: "no b", ...status(404) },
      "NOT_FOUND",
      false,
      "The bucket does not exist (no b)",
    ],
    [
      { name: "SignatureDoesNotMatch", message: "sig", ...status(403) },
      "AUTH_FAILED",
      false,
      "S3 refused the credentials (access key id or secret access key): sig",
    ],
    [
      { name: "AccessDenied", message: "no", ...status(403) },
      "PERMISSION_DENIED",
      false,
      'Access denied by S3: "/k": no',
    ],
    [
      { name: "SlowDown", message: "s", ...status(503) },
      "IO",
      true,
      'S3 is busy or failing: "/k": s',
    ],
    [
      { name: "RequestTimeout", message: "t", ...status(400) },
      "TIMEOUT",
      true,
      'S3 request timed out: "/k": t',
    ],
    [
      { name: "NotImplemented", message: "n", ...status(501) },
      "NOT_SUPPORTED",
      false,
      'The S3 server does not support this: "/k"',
    ],
    [{ name: "AbortError", message: "a" }, "CANCELLED", false, 'Cancelled: "/k"'],
    [{ name: "Unknown", message: "u", ...status(500) }, "IO", true, 'S3 server error 500: "/k": u'],
    [
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      "CONNECTION",
      true,
      'S3 connection failed: "/k": read ECONNRESET',
    ],
    [
      Object.assign(new Error("self-signed certificate"), { code: "SELF_SIGNED_CERT_IN_CHAIN" }),
      "CONNECTION",
      false,
      "TLS failed with the S3 server: self-signed certificate",
    ],
  ];
  for (const [err, code, retryable, message] of cases) {
    const e = mapS3Error(err, "/k");
    assert.deepEqual(
      [e.code, e.retryable, e.message],
      [code, retryable, message],
      JSON.stringify(err),
    );
  }
});
