import assert from "node:assert/strict";
import { ParamsError, parseParams } from "./params.ts";

Deno.test("parseParams() accepts a flat object, the v3 array and nothing", async (t) => {
  const cases: [unknown, Record<string, string>][] = [
    ['{"k":"v"}', { k: "v" }],
    ['{"n":1,"b":true,"o":{"a":[1]},"z":null}', { n: "1", b: "true", o: '{"a":[1]}', z: "null" }],
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
    /Parameter 1 must be an object with "name" and "value"/,
  );
  assert.throws(() => parseParams("[1]"), /Parameter 1/);
});
