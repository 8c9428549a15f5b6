import assert from "node:assert/strict";
import { ParamsError, parseParams } from "./params.ts";

Deno.test("parseParams() accepts a flat object, the v3 array and nothing", async (t) => {
  const cases: [unknown, Record<string, string>][] = [
    ['{"k":"v"}', { k: "v" }],
    // null is "not set": left out, so Params("z") is empty rather than the truthy "null".
    ['{"n":1,"b":true,"z":null}', { n: "1", b: "true" }],
    ['[{"name":"z","value":null},{"name":"f","value":false}]', { f: "false" }],
    ['[{"name":"job_id","value":"abc-123"}]', { job_id: "abc-123" }],
    [[{ name: "a", value: 2 }], { a: "2" }],
    [{ destination: "/archive/2026" }, { destination: "/archive/2026" }],
    [undefined, {}],
    ["", {}],
  ];
  for (const [input, want] of cases) {
    await t.step(
      JSON.stringify(input) ?? "undefined",
      () => assert.deepEqual(parseParams(input), want),
    );
  }
});

Deno.test("parseParams() refuses broken JSON and other shapes with one clear message", () => {
  assert.throws(
    () => parseParams("{bad"),
    (e) => e instanceof ParamsError && /not valid JSON/.test(e.message),
  );
  assert.throws(() => parseParams("42"), /must be a JSON object/);
  assert.throws(() => parseParams('"x"'), /must be a JSON object/);
  assert.throws(
    () => parseParams('[{"name":"a"}]'),
    /Parameter 1 must be an object with a "name" \(not empty\) and a "value"/,
  );
  assert.throws(() => parseParams('[{"name":"","value":"x"}]'), /Parameter 1 must be/);
  assert.throws(() => parseParams("[1]"), /Parameter 1/);
  // Objects and arrays as values: refused, as the REST API refuses them.
  assert.throws(
    () => parseParams('{"a":[1,2]}'),
    { message: 'Parameter "a" must be a string, number or boolean, not an array' },
  );
  assert.throws(
    () => parseParams('{"b":{"c":null}}'),
    { message: 'Parameter "b" must be a string, number or boolean, not an object' },
  );
});

Deno.test("parseParams(lenient) reads the Windows forms of the documented examples", () => {
  // Seed 000, PowerShell: -p '{"destination":"D:\Archive\2026"}' (\A is not a JSON escape)
  assert.deepEqual(parseParams('{"destination":"D:\\Archive\\2026"}', { lenient: true }), {
    destination: "D:\\Archive\\2026",
  });
  // PowerShell 5 strips the inner double quotes when it calls a native program.
  assert.deepEqual(parseParams("{destination:D:\\Archive\\2026}", { lenient: true }), {
    destination: "D:\\Archive\\2026",
  });
  assert.deepEqual(parseParams("{character:goofy, n:1}", { lenient: true }), {
    character: "goofy",
    n: "1",
  });
  // Strict JSON keeps its meaning, and strict mode refuses what lenient mode forgives.
  assert.deepEqual(parseParams('{"p":"a\\\\b"}', { lenient: true }), { p: "a\\b" });
  assert.throws(() => parseParams('{"destination":"D:\\Archive"}'), ParamsError);
  assert.throws(() => parseParams("{bad", { lenient: true }), ParamsError);
});
