import assert from "node:assert/strict";
import { checkName, escapeControls } from "./names.ts";
import { EngineError } from "./errors.ts";

Deno.test("checkName() keeps ordinary names, trimmed, with dots, quotes and unicode", () => {
  for (const n of ["My Backup Job", "a.b", 'quo"te', "ünïcode 名前", "..x", "#%&+"]) {
    assert.equal(checkName("script", ` ${n} `), n);
  }
});

Deno.test("checkName() refuses empty, long, control characters, NUL and bidi overrides", () => {
  const bad = [
    "",
    "   ",
    "x".repeat(201),
    "a\u0000b",
    "a\nb",
    "a\u001b[31mred",
    "tab\there",
    "del\u007f",
    "c1\u009b",
    "rtl\u202eevil",
    "iso\u2066late",
    "\u2069",
  ];
  for (const n of bad) {
    assert.throws(
      () => checkName("script", n),
      (e: unknown) => e instanceof EngineError && e.code === "INVALID_NAME" && e.kind === "invalid",
      JSON.stringify(n),
    );
  }
  // The message shows the name without its raw control characters.
  try {
    checkName("VFS", "x\u001b[2Jy");
  } catch (err) {
    assert.match((err as Error).message, /"x\\u001b\[2Jy"/);
    assert.ok(!(err as Error).message.includes("\u001b"));
  }
});

Deno.test("checkName() refuses '.' and '..', which clients resolve in an address, and keeps names that only start with dots", () => {
  for (const n of [".", "..", " .. "]) {
    assert.throws(() => checkName("secret", n), {
      message: `A secret name cannot be "${n.trim()}"`,
    });
  }
  for (const n of ["...", ".x", "..x", "x.."]) assert.equal(checkName("VFS", n), n);
});

Deno.test("escapeControls() escapes what a terminal acts on, optionally keeping lines", () => {
  assert.equal(escapeControls("plain"), "plain");
  assert.equal(escapeControls("a\u001bb\u202ec"), "a\\u001bb\\u202ec");
  assert.equal(escapeControls("l1\nl2\tx\r"), "l1\\u000al2\\u0009x\\u000d");
  assert.equal(escapeControls("l1\nl2\tx\r", { keepLines: true }), "l1\nl2\tx\\u000d");
});

Deno.test("checkName() refuses a name shaped like an ID (it would stand for another record where either is taken), and says 'An' before a vowel", () => {
  assert.throws(
    () => checkName("API key", "01M91AR5VS4ZTA0PJR02W50W6R"),
    {
      message:
        'An API key name cannot have the form of an ID (26 letters and digits, as aft\'s IDs): "01M91AR5VS4ZTA0PJR02W50W6R"',
    },
  );
  assert.throws(() => checkName("API key", " "), { message: "An API key name cannot be empty" });
  assert.throws(() => checkName("script", ""), { message: "A script name cannot be empty" });
  // 26 characters, but with letters IDs never hold (i, l, o, u): a name.
  assert.equal(checkName("script", "dailybackupofcustomerfiles"), "dailybackupofcustomerfiles");
  assert.equal(checkName("script", "01m91ar5vs4zta0pjr02w50w6"), "01m91ar5vs4zta0pjr02w50w6");
});

Deno.test('checkName() gives a name in Unicode NFC: both spellings of "café" are the same name', () => {
  assert.equal(checkName("script", "cafe\u0301"), "caf\u00e9");
  assert.equal(checkName("script", " caf\u00e9 "), "caf\u00e9");
  // The length is counted in NFC: 200 composed characters are taken though NFD has 400 units.
  assert.equal(checkName("VFS", "e\u0301".repeat(200)), "\u00e9".repeat(200));
});
