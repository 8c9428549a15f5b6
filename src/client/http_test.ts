import assert from "node:assert/strict";
import { parseResponse, splitHostPort } from "./http.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parseResponse() reads Content-Length, chunked and read-to-close bodies", () => {
  const a = parseResponse(
    enc("HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}extra"),
  );
  assert.deepEqual([a.status, a.body, a.headers["x-a"]], [201, "{}", "b"]);
  const b = parseResponse(
    enc(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
    ),
  );
  assert.equal(b.body, "abcde");
  assert.equal(parseResponse(enc("HTTP/1.0 404 Not Found\r\n\r\nnope")).body, "nope");
  assert.throws(() => parseResponse(enc("garbage")));
  assert.throws(() => parseResponse(enc("SMTP 220 hi\r\n\r\n")));
});

Deno.test("splitHostPort() takes host, host:port and [v6]:port", () => {
  assert.deepEqual(splitHostPort("192.168.1.10:44399"), { host: "192.168.1.10", port: 44399 });
  assert.deepEqual(splitHostPort("example.com"), { host: "example.com", port: 44399 });
  assert.deepEqual(splitHostPort("[::1]:8443"), { host: "::1", port: 8443 });
  assert.deepEqual(splitHostPort("https://h:1/x"), { host: "h", port: 1 });
  assert.throws(() => splitHostPort("h:99999"), /Bad port/);
  assert.deepEqual(splitHostPort("fe80::1"), { host: "fe80::1", port: 44399 });
  assert.deepEqual(splitHostPort("[fe80::1%eth0]:9"), { host: "fe80::1%eth0", port: 9 });
  assert.deepEqual(splitHostPort("::ffff:10.0.0.1"), { host: "::ffff:10.0.0.1", port: 44399 });
});

Deno.test("splitHostPort() refuses what is not an address, with the words to fix it", () => {
  // "bad:host:99999" was taken for an IPv6 address, and the connection failed later on DNS.
  for (const text of ["bad:host:99999", "host:", "host:abc", "[nope]:1", "a b:1", "u@h:1", ""]) {
    assert.throws(() => splitHostPort(text), /is not a host, host:port or \[IPv6\]:port/, text);
  }
});

Deno.test("parseResponse() refuses a body cut short", () => {
  assert.throws(
    () => parseResponse(enc("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")),
    /cut short/,
  );
  assert.throws(
    () => parseResponse(enc("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab")),
    /truncated/,
  );
  assert.throws(
    () => parseResponse(enc("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")),
    /bad chunk size/,
  );
});

Deno.test("parseResponse() refuses a header without an end", () => {
  assert.throws(
    () => parseResponse(enc("HTTP/1.1 200 OK\r\nX: " + "a".repeat(70 * 1024))),
    /header has no end/,
  );
});
