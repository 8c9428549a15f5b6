import assert from "node:assert/strict";
import { allowed, isLoopback, normalizeIp, parseIp, parseRange } from "./ip.ts";

Deno.test("allow-lists match IPv4, IPv6, CIDR ranges and IPv4-mapped IPv6", () => {
  const list = ["127.0.0.1", "10.0.0.0/8", "2001:db8::/32", "::1"];
  const yes = [
    "127.0.0.1",
    "::ffff:127.0.0.1",
    "10.200.3.4",
    "::ffff:10.0.0.1",
    "2001:db8:1::5",
    "::1",
    "[::1]",
  ];
  const no = [
    "127.0.0.2",
    "11.0.0.1",
    "2001:db9::1",
    "::2",
    "::ffff:11.0.0.1",
    "fe80::1",
    "nonsense",
    "",
  ];
  for (const ip of yes) assert.ok(allowed(ip, list), `${ip} is allowed`);
  for (const ip of no) assert.ok(!allowed(ip, list), `${ip} is refused`);
  // A /0 IPv6 range covers everything, an IPv4 /0 every IPv4 address but no IPv6 one.
  assert.ok(allowed("8.8.8.8", ["::/0"]));
  assert.ok(allowed("8.8.8.8", ["0.0.0.0/0"]));
  assert.ok(!allowed("2001:db8::1", ["0.0.0.0/0"]));
  // Odd prefix lengths.
  assert.ok(allowed("192.168.1.130", ["192.168.1.128/25"]));
  assert.ok(!allowed("192.168.1.127", ["192.168.1.128/25"]));
});

Deno.test("addresses and ranges parse strictly", () => {
  for (
    const bad of [
      "1.2.3",
      "1.2.3.256",
      "1::2::3",
      "12345::",
      "10.0.0.0/33",
      "::/129",
      "1.2.3.4/8/1",
      "a.b.c.d",
    ]
  ) {
    assert.equal(parseRange(bad), undefined, bad);
  }
  assert.deepEqual(parseIp("::ffff:1.2.3.4"), parseIp("1.2.3.4"));
  assert.deepEqual(parseIp("0:0:0:0:0:0:0:1"), parseIp("::1"));
  assert.equal(normalizeIp("::ffff:10.1.2.3"), "10.1.2.3");
  assert.ok(isLoopback("127.8.9.10") && isLoopback("::1") && !isLoopback("10.0.0.1"));
});
