import assert from "node:assert/strict";
import { mapAzureError } from "./_map_error.ts";

const rest = (code: string | undefined, statusCode: number | undefined, message: string) => ({
  name: "RestError",
  code,
  statusCode,
  message,
});

Deno.test("mapAzureError() reads the service's error codes, then status, network and TLS failures", () => {
  const cases: [unknown, string, boolean, string][] = [
    [
      rest("BlobNotFound", 404, "The specified blob does not exist.\nRequestId:1"),
      "NOT_FOUND",
      false,
      'No such file or folder: "/b"',
    ],
    [
      rest("ContainerNotFound", 404, "The specified container does not exist.\nRequestId:1"),
      "NOT_FOUND",
      false,
      "The container does not exist (The specified container does not exist.)",
    ],
    [
      {
        ...rest(undefined, 403, "Server failed to authenticate"),
        details: { errorCode: "AuthenticationFailed" },
      },
      "AUTH_FAILED",
      false,
      "Azure refused the credentials (account name, account key or SAS token): Server failed to authenticate",
    ],
    [
      rest("AuthorizationPermissionMismatch", 403, "p"),
      "PERMISSION_DENIED",
      false,
      'Access denied by Azure: "/b": p',
    ],
    [rest("ServerBusy", 503, "b"), "IO", true, 'Azure is busy or failing: "/b": b'],
    [rest("OperationTimedOut", 500, "t"), "TIMEOUT", true, 'Azure request timed out: "/b": t'],
    [
      { name: "AbortError", message: "The operation was aborted." },
      "CANCELLED",
      false,
      'Cancelled: "/b"',
    ],
    [rest(undefined, 404, ""), "NOT_FOUND", false, 'No such file or folder: "/b"'],
    [rest(undefined, 500, "x"), "IO", true, 'Azure server error 500: "/b": x'],
    [
      rest("REQUEST_SEND_ERROR", undefined, "Error sending request"),
      "CONNECTION",
      true,
      'Azure connection failed: "/b": Error sending request',
    ],
    [
      Object.assign(new Error("getaddrinfo ENOTFOUND a.blob.core.windows.net"), {
        code: "ENOTFOUND",
      }),
      "CONNECTION",
      false,
      "Azure host name not found: getaddrinfo ENOTFOUND a.blob.core.windows.net",
    ],
  ];
  for (const [err, code, retryable, message] of cases) {
    const e = mapAzureError(err, "/b");
    assert.deepEqual(
      [e.code, e.retryable, e.message],
      [code, retryable, message],
      JSON.stringify(err),
    );
  }
});
