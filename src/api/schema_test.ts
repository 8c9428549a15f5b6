import assert from "node:assert/strict";
import { type Schema, validate } from "./schema.ts";

Deno.test("validate() names the first problem in one sentence", () => {
  const s: Schema = {
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string", minLength: 1 },
      n: { type: "integer", minimum: 1 },
      tags: { type: "array", items: { type: "string" } },
    },
    additionalProperties: false,
  };
  assert.equal(validate(s, { name: "x", n: 2, tags: ["a"] }), null);
  assert.equal(validate(s, {}), "body.name is required");
  assert.equal(validate(s, { name: "" }), "body.name cannot be empty");
  assert.equal(validate(s, { name: "x", n: 1.5 }), "body.n must be a whole number");
  assert.equal(validate(s, { name: "x", n: 0 }), "body.n must be at least 1");
  assert.equal(validate(s, { name: "x", tags: [1] }), "body.tags[0] must be a string");
  assert.equal(validate(s, { name: "x", other: 1 }), "body.other is not a known field");
  assert.equal(validate(s, [1]), "body must be a JSON object");
  assert.equal(validate(s, null), "body must be a JSON object");
  const either: Schema = { oneOf: [{ type: "string" }, { type: "null" }] };
  assert.equal(validate(either, null), null);
  assert.match(validate(either, 1) ?? "", /accepted shape/);
});
