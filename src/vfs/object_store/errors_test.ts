import assert from "node:assert/strict";
import { VfsError } from "../types.ts";
import { type ErrorDialect, mapStoreError, networkCode } from "./errors.ts";

/** A service whose errors carry `{ kind, status, message }`. */
const STORE: ErrorDialect = {
  service: "Store",
  bucket: "tub",
  credentials: "the key",
  codes: { Gone: "notFound", NoTub: "bucketMissing", BadKey: "auth", Busy: "busy" },
  facts(err) {
    const e = (err ?? {}) as { kind?: string; status?: number; message?: string };
    return { codes: [e.kind], status: e.status, message: e.message || String(err) };
  },
};

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

Deno.test("mapStoreError() gives one code, retry flag and sentence per kind of failure", () => {
  const cases: [unknown, string, boolean, string][] = [
    [{ kind: "Gone", message: "x" }, "NOT_FOUND", false, 'No such file or folder: "/a b"'],
    [{ kind: "NoTub", message: "no tub" }, "NOT_FOUND", false, "The tub does not exist (no tub)"],
    [
      { kind: "BadKey", message: "m" },
      "AUTH_FAILED",
      false,
      "Store refused the credentials (the key): m",
    ],
    [{ kind: "Busy", message: "m" }, "IO", true, 'Store is busy or failing: "/a b": m'],
    // Codes the table does not know fall back to the HTTP status.
    [
      { kind: "?", status: 404, message: "m" },
      "NOT_FOUND",
      false,
      'No such file or folder: "/a b"',
    ],
    [
      { status: 403, message: "m" },
      "PERMISSION_DENIED",
      false,
      'Access denied by Store: "/a b": m',
    ],
    [{ status: 401, message: "m" }, "AUTH_FAILED", false, "Store refused the credentials: m"],
    [{ status: 503, message: "m" }, "IO", true, 'Store server error 503: "/a b": m'],
    [
      withCode("getaddrinfo ENOTFOUND h", "ENOTFOUND"),
      "CONNECTION",
      false,
      "Store host name not found: getaddrinfo ENOTFOUND h",
    ],
    [
      withCode("connect ETIMEDOUT", "ETIMEDOUT"),
      "TIMEOUT",
      true,
      "Store connection timed out: connect ETIMEDOUT",
    ],
    [
      withCode("read ECONNRESET", "ECONNRESET"),
      "CONNECTION",
      true,
      'Store connection failed: "/a b": read ECONNRESET',
    ],
    [
      new Error("socket hang up"),
      "CONNECTION",
      true,
      'Store connection failed: "/a b": socket hang up',
    ],
    [
      Object.assign(new Error("fetch failed"), { cause: { code: "CERT_HAS_EXPIRED" } }),
      "CONNECTION",
      false,
      "TLS failed with the Store server: fetch failed",
    ],
    [new Error("odd"), "IO", false, 'Store error: "/a b": odd'],
    [undefined, "IO", false, 'Store error: "/a b": undefined'],
  ];
  for (const [err, code, retryable, message] of cases) {
    const e = mapStoreError(STORE, err, "/a b");
    assert.deepEqual([e.code, e.retryable, e.message], [code, retryable, message], String(err));
    assert.equal(e.cause, err);
  }
  const mine = new VfsError("IS_DIR", "Is a folder");
  assert.equal(mapStoreError(STORE, mine, "/x"), mine, "a VfsError passes through");
});

Deno.test("networkCode() finds a network code in causes, aggregates and the message", () => {
  assert.equal(networkCode({ cause: { cause: { code: "ECONNREFUSED" } } }), "ECONNREFUSED");
  assert.equal(networkCode({ errors: [{ code: "X" }, { code: "EHOSTUNREACH" }] }), "EHOSTUNREACH");
  assert.equal(networkCode(new Error("connect EAI_AGAIN host")), "EAI_AGAIN");
  assert.equal(networkCode(new Error("EISDIR is no network code")), undefined);
  assert.equal(networkCode("ECONNRESET as a string"), undefined);
});
