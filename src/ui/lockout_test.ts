import assert from "node:assert/strict";
import { lockoutWarnings, splitListen } from "./lockout.ts";

const now = { listen: "0.0.0.0:44399", sessionLifetimeMinutes: 480 };
const remote = { ip: "192.0.2.7", host: "aft.example:44399", sessionAgeMinutes: 30 };
const local = { ip: "127.0.0.1", host: "127.0.0.1:44399", sessionAgeMinutes: 30 };

Deno.test("splitListen() reads HOST:PORT and [V6]:PORT, and nothing else", () => {
  assert.deepEqual(splitListen("0.0.0.0:44399"), { host: "0.0.0.0", port: "44399" });
  assert.deepEqual(splitListen("[::1]:8443"), { host: "::1", port: "8443" });
  assert.deepEqual(splitListen("Localhost:1"), { host: "localhost", port: "1" });
  for (const bad of ["", "44399", "::1:80", "host:", "host:port"]) {
    assert.equal(splitListen(bad), undefined, bad);
  }
});

Deno.test("a listen address on loopback warns an admin who is elsewhere, not one on the machine", () => {
  for (const host of ["127.0.0.1", "localhost", "[::1]"]) {
    const w = lockoutWarnings(now, { listen: `${host}:44399` }, remote);
    assert.equal(w.length, 1, host);
    assert.match(w[0]!, /cannot reach/);
    assert.deepEqual(lockoutWarnings(now, { listen: `${host}:44399` }, local), [], host);
  }
});

Deno.test("another port, or another interface than the one in use, warns; the same address does not", () => {
  assert.match(
    lockoutWarnings(now, { listen: "0.0.0.0:8443" }, local).join(" "),
    /port 8443, not 44399/,
  );
  assert.match(
    lockoutWarnings(now, { listen: "198.51.100.1:44399" }, remote).join(" "),
    /listens on 198\.51\.100\.1 only, while your browser reaches it as aft\.example/,
  );
  assert.deepEqual(lockoutWarnings(now, { listen: "[::]:44399" }, remote), []);
  assert.deepEqual(lockoutWarnings(now, { listen: "0.0.0.0:44399" }, remote), []);
  assert.deepEqual(lockoutWarnings(now, { listen: "aft.example:44399" }, remote), []);
});

Deno.test("a session lifetime shorter than the admin's session is old warns; a longer one does not", () => {
  assert.match(
    lockoutWarnings(now, { sessionLifetimeMinutes: "20" }, remote).join(" "),
    /20 minutes ends your session at once \(you signed in 30 minutes ago\)/,
  );
  assert.deepEqual(lockoutWarnings(now, { sessionLifetimeMinutes: "31" }, remote), []);
  assert.deepEqual(lockoutWarnings(now, { sessionLifetimeMinutes: "x" }, remote), []);
});
