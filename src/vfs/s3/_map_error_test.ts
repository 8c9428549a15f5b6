import assert from "node:assert/strict";
import { mapS3Error } from "./_map_error.ts";

Deno.test("mapS3Error() maps S3's error names to codes, in S3's words", () => {
  const codes = (names: string[]) =>
    Object.fromEntries(names.map((name) => [name, mapS3Error({ name, message: "m" }).code]));
  assert.deepEqual(codes(["NoSuchKey", "NoSuchBucket", "SignatureDoesNotMatch", "AccessDenied"]), {
    NoSuchKey: "NOT_FOUND",
    NoSuchBucket: "NOT_FOUND",
    SignatureDoesNotMatch: "AUTH_FAILED",
    AccessDenied: "PERMISSION_DENIED",
  });
  assert.deepEqual(codes(["RequestTimeout", "SlowDown", "NotImplemented", "AbortError"]), {
    RequestTimeout: "TIMEOUT",
    SlowDown: "IO",
    NotImplemented: "NOT_SUPPORTED",
    AbortError: "CANCELLED",
  });
  assert.equal(mapS3Error({ name: "SlowDown" }).retryable, true);
  // S3's XML answers carry a `Code`; a HEAD answer has no body, so only its status speaks.
  assert.equal(
    mapS3Error({ Code: "NoSuchBucket", message: "m" }).message,
    "The bucket does not exist (m)",
  );
  const head = mapS3Error({ name: "NotFound", $metadata: { httpStatusCode: 404 } }, "/a b");
  assert.deepEqual([head.code, head.message], ["NOT_FOUND", 'No such file or folder: "/a b"']);
  assert.equal(
    mapS3Error({ name: "InvalidAccessKeyId", message: "m" }).message,
    "S3 refused the credentials (access key id or secret access key): m",
  );
  const reset = mapS3Error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
  assert.deepEqual([reset.code, reset.retryable, reset.message], [
    "CONNECTION",
    true,
    "S3 connection failed: read ECONNRESET",
  ]);
});
