import assert from "node:assert/strict";
import { MIN_ENCODED_BYTES, Redactor } from "./redact.ts";

Deno.test("Redactor hides every known value, longest first, and its JSON and URL forms", () => {
  const r = new Redactor();
  r.add("abc");
  r.add("abcdef");
  r.add('p"w/d');
  r.add("");
  r.add(undefined);
  assert.equal(r.apply("x abcdef y abc z"), "x *** y *** z");
  assert.equal(r.apply(JSON.stringify({ pass: 'p"w/d' })), '{"pass":"***"}');
  assert.equal(r.apply("u=" + encodeURIComponent('p"w/d')), "u=***");
  assert.equal(r.apply("nothing here"), "nothing here");
});

const enc = new TextEncoder();
const b64 = (s: string | Uint8Array) =>
  btoa(String.fromCharCode(...(typeof s === "string" ? enc.encode(s) : s)));
const b64url = (s: string) => b64(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const hex = (s: string) =>
  Array.from(enc.encode(s), (b) => b.toString(16).padStart(2, "0")).join("");

/** True when `secret` (less two characters at each end) can be read back from `text`. */
function leaks(text: string, secret: string): boolean {
  if (text.includes(secret) || text.toLowerCase().includes(secret.toLowerCase())) return true;
  for (const run of text.match(/[0-9a-fA-F]{8,}/g) ?? []) {
    const bin = run.match(/../g)!.map((h) => String.fromCharCode(parseInt(h, 16))).join("");
    if (bin.includes(secret.slice(2, -2))) return true;
  }
  // Decode every base64-looking run and look for the secret's bytes.
  for (const run of text.match(/[A-Za-z0-9+/_-]{4,}={0,2}/g) ?? []) {
    for (let cut = 0; cut < 4; cut++) {
      const s = run.slice(cut).replaceAll("-", "+").replaceAll("_", "/").replace(/=+$/, "");
      try {
        const bin = atob(s.slice(0, s.length - (s.length % 4)));
        if (bin.includes(secret.slice(2, -2))) return true;
      } catch { /* not base64 */ }
    }
  }
  return false;
}

Deno.test("Redactor hides a secret in base64 (standard and URL-safe, at each alignment), hex and any letter case", async (t) => {
  const secret = "Tr0ub4dor&3/x?+y";
  const r = new Redactor();
  r.add(secret);
  const cases: [string, string][] = [
    ["upper case", `pw=${secret.toUpperCase()}`],
    ["lower case", `pw=${secret.toLowerCase()}`],
    ["hex lower", `data ${hex(secret)} end`],
    ["hex upper", `data ${hex(secret).toUpperCase()} end`],
    ["base64 alone", `b64 ${b64(secret)}`],
    ["base64 url-safe alone", `b64 ${b64url(secret)}`],
  ];
  for (const prefix of ["", "u", "us", "usr:", "user:", "users:"]) {
    cases.push([
      `base64 after ${prefix.length} bytes`,
      `Authorization: Basic ${b64(prefix + secret)}`,
    ]);
    cases.push([
      `base64 after ${prefix.length} bytes, with bytes after`,
      `x ${b64(prefix + secret + "!tail")} y`,
    ]);
    cases.push([
      `url-safe base64 after ${prefix.length} bytes`,
      `token=${b64url(prefix + secret + "?")}`,
    ]);
  }
  for (const [name, text] of cases) {
    await t.step(name, () => {
      assert.equal(leaks(text, secret), true, `the case must show the secret before: ${text}`);
      const out = r.apply(text);
      assert.match(out, /\*\*\*/, `${name}: ${out}`);
      assert.equal(leaks(out, secret), false, `${name}: ${out}`);
    });
  }
});

Deno.test("Redactor hides values of 16 and 64 KiB and many kilobyte-long ones, in every form (V8 refused them as one regular expression)", () => {
  const random = (n: number) => {
    const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(n * 3 / 4)));
    return btoa(String.fromCharCode(...bytes)).slice(0, n);
  };
  for (
    const values of [
      [random(16 * 1024)],
      [random(64 * 1024)],
      Array.from({ length: 12 }, () => random(3300)),
    ]
  ) {
    const r = new Redactor();
    for (const v of values) r.add(v);
    const secret = values.at(-1)!;
    for (
      const text of [
        `key ${secret} end`,
        `key ${secret.toLowerCase()} end`,
        `hex ${hex(secret)} end`,
        `Basic ${b64("user:" + secret)}`,
        `token=${b64url("x" + secret + "y")}`,
      ]
    ) {
      const out = r.apply(text);
      assert.equal(leaks(out, secret), false, out.slice(0, 200));
      assert.ok(out.length < 40, out.slice(0, 200));
    }
  }
});

Deno.test("Redactor hides overlapping values as one stretch", () => {
  const r = new Redactor();
  r.add("abcdefgh-1");
  r.add("fgh-1-tail9");
  assert.equal(r.apply("x abcdefgh-1-tail9 y"), "x *** y");
  assert.equal(r.apply("abcdefgh-1abcdefgh-1"), "******");
});

Deno.test("Redactor leaves the encodings of short values alone, so ordinary text stays readable", () => {
  const r = new Redactor();
  r.add("abc"); // shorter than MIN_ENCODED_BYTES: hidden only as it is
  assert.ok("abc".length < MIN_ENCODED_BYTES);
  const text = `ABC ${b64("abc")} ${hex("abc")} ${b64("xabcdefgh")} Abc abc`;
  assert.equal(r.apply(text), `ABC ${b64("abc")} ${hex("abc")} ${b64("xabcdefgh")} Abc ***`);
  assert.equal(r.apply("plain log line with nothing secret"), "plain log line with nothing secret");
});

Deno.test("Redactor with no values returns the text as it is", () => {
  assert.equal(new Redactor().apply("a\u0000b ***"), "a\u0000b ***");
});

Deno.test("applyBeforeCut() hides an end of a cut line that could be the start of a value, in any form", async (t) => {
  const secret = "Tr0ub4dor&3/x?+y";
  const r = new Redactor();
  r.add(secret);
  r.add("pin7"); // short: its start is hidden only as it is
  const cases: [string, string, string][] = [
    ["as it is", `pw=${secret.slice(0, 5)}`, "pw=***"],
    ["in upper case", `pw=${secret.slice(0, 9).toUpperCase()}`, "pw=***"],
    ["its first character", `pw=${secret[0]}`, "pw=***"],
    ["JSON-escaped", `{"pw":"${JSON.stringify(secret).slice(1, 10)}`, '{"pw":"***'],
    ["URL-encoded", `u?pw=${encodeURIComponent(secret).slice(0, 14)}`, "u?pw=***"],
    ["hex", `h=${hex(secret).slice(0, 11)}`, "h=***"],
    ["a short value as it is", "code pi", "code ***"],
    ["a short value in another case", "code PI", "code PI"],
    ["a whole value, then the start of one", `a ${secret} b Tr0u`, "a *** b ***"],
    ["nothing of a value", "nothing secret here", "nothing secret here"],
  ];
  for (const align of ["", "u", "us", "use"]) {
    const full = b64(align + secret + "tail");
    // The first character holds bits of the bytes before the value alone, and may stay.
    const kept = align === "" ? "" : full[0];
    cases.push([
      `base64 after ${align.length} bytes`,
      `auth ${full.slice(0, 14)}`,
      `auth ${kept}***`,
    ]);
  }
  for (const [name, head, want] of cases) {
    await t.step(name, () => assert.equal(r.applyBeforeCut(head), want));
  }
  assert.equal(new Redactor().applyBeforeCut("no values"), "no values");
});
