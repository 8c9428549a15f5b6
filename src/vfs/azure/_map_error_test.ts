import assert from "node:assert/strict";
import { mapAzureError } from "./_map_error.ts";

Deno.test("mapAzureError() maps the service's error codes to codes, in Azure's words", () => {
  const codes = Object.fromEntries(
    ["BlobNotFound", "ContainerNotFound", "AuthenticationFailed", "AuthorizationFailure"]
      .concat(["AuthorizationPermissionMismatch", "OperationTimedOut", "ServerBusy"])
      .map((code) => [code, mapAzureError({ name: "RestError", code, message: "m" }).code]),
  );
  assert.deepEqual(codes, {
    BlobNotFound: "NOT_FOUND",
    ContainerNotFound: "NOT_FOUND",
    AuthenticationFailed: "AUTH_FAILED",
    AuthorizationFailure: "AUTH_FAILED",
    AuthorizationPermissionMismatch: "PERMISSION_DENIED",
    OperationTimedOut: "TIMEOUT",
    ServerBusy: "IO",
  });
  // The code may sit in `details.errorCode`; only the first line of a message is kept.
  const auth = mapAzureError({
    statusCode: 403,
    details: { errorCode: "AuthenticationFailed" },
    message: "Server failed to authenticate the request.\nRequestId:1",
  });
  assert.equal(
    auth.message,
    "Azure refused the credentials (account name, account key or SAS token): Server failed to authenticate the request.",
  );
  assert.equal(
    mapAzureError({ code: "ContainerNotFound", message: "The specified container does not exist." })
      .message,
    "The container does not exist (The specified container does not exist.)",
  );
  assert.equal(
    mapAzureError({ name: "AbortError", message: "x" }, "/b").message,
    'Cancelled: "/b"',
  );
  const send = mapAzureError({ code: "REQUEST_SEND_ERROR", message: "Error sending request" });
  assert.deepEqual([send.code, send.retryable], ["CONNECTION", true]);
});
