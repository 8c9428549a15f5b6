/**
 * Values for the REST API fuzz run (`fuzz_test.ts`), made from the JSON schemas the service
 * publishes in `/v1/openapi.json`: values a schema accepts (biased towards hostile strings and
 * towards names the service knows), and values it must refuse (wrong types, missing and extra
 * fields, lengths and numbers out of range, deep nesting).
 *
 * @module
 */

import fc from "fast-check";

/** The JSON schema subset `/v1/openapi.json` uses. */
export interface JsonSchema {
  type?: "string" | "integer" | "number" | "boolean" | "null" | "array" | "object";
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  oneOf?: JsonSchema[];
  $ref?: string;
}

/** Known values for fields by name (`scriptName` → the stored scripts' names, ...). */
export type Hints = Record<string, readonly unknown[]>;

/** Strings that have broken services before: paths, controls, bidi, quotes, unicode, numbers. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  ".",
  "..",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "/etc/shadow",
  "/proc/self/environ",
  "%2e%2e%2f%2e%2e",
  "a\u0000b",
  "\u0000",
  "\u001b[31mred\u001b[0m",
  "\r\nX-Injected: 1",
  "\u202eexe.txt",
  "\u2066isolate\u2069",
  "\u200b",
  "\ufeffbom",
  "\ud800",
  "\udfff\ud800",
  "名前 ✓ Ünïcödé",
  "😀👨‍👩‍👧",
  "'; DROP TABLE jobs; --",
  '"quoted" \\ back',
  "${env:HOME}",
  "<script>alert(1)</script>",
  "null",
  "NaN",
  "-1",
  "1e999",
  "0x10",
  "9".repeat(400),
  " padded ",
  "*",
  "?",
  "#frag",
  "a/b",
];

const CONTROL_CHARS = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const BIDI = fc.constantFrom("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2069");
const SURROGATE = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Any string, often a hostile one. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 4 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  {
    arbitrary: fc.string({ unit: fc.oneof(CONTROL_CHARS, BIDI, SURROGATE), maxLength: 8 }),
    weight: 1,
  },
  {
    arbitrary: fc.tuple(fc.constantFrom("x", "é", "😀", "\u0000"), fc.integer({ min: 1, max: 5 }))
      .map(([c, k]) => c.repeat(10 ** k)),
    weight: 1,
  },
);

/** The schema `s` points at, `$ref` resolved against `doc`. */
export function resolve(doc: unknown, s: JsonSchema): JsonSchema {
  if (!s.$ref) return s;
  let at: unknown = doc;
  for (const part of s.$ref.replace(/^#\//, "").split("/")) {
    at = (at as Record<string, unknown>)[part];
  }
  return at as JsonSchema;
}

/** A value `schema` accepts as to type and shape; strings may still break the service's rules. */
export function validValue(schema: JsonSchema, hints: Hints, field = ""): fc.Arbitrary<unknown> {
  const hinted = hints[field];
  const own = ownValid(schema, hints);
  if (!hinted || hinted.length === 0) return own;
  const fits = hinted.filter((v) => wrongness(schema, v) === null);
  if (fits.length === 0) return own;
  return fc.oneof({ arbitrary: fc.constantFrom(...fits), weight: 3 }, {
    arbitrary: own,
    weight: 1,
  });
}

function ownValid(schema: JsonSchema, hints: Hints): fc.Arbitrary<unknown> {
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((s) => validValue(s, hints)));
  switch (schema.type) {
    case "string": {
      if (schema.enum) return fc.constantFrom(...schema.enum);
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? Infinity;
      return hostileString.filter((s) => s.length >= min && s.length <= max);
    }
    case "integer":
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 }),
        fc.constantFrom(
          ...[schema.minimum, schema.maximum].filter((v): v is number => v !== undefined),
          Math.max(schema.minimum ?? 0, Math.min(schema.maximum ?? 1, 1)),
        ),
      );
    case "number":
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      return fc.array(validValue(schema.items ?? {}, hints), {
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    case "object": {
      const props = schema.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = validValue(s, hints, k);
      const fixed = fc.record(model, { requiredKeys: schema.required ?? [] });
      const extra = schema.additionalProperties;
      if (typeof extra !== "object") return fixed;
      const more = fc.dictionary(
        hostileString.filter((k) => !(k in props) && k !== "__proto__"),
        validValue(extra, hints),
        { maxKeys: 4 },
      );
      return fc.tuple(fixed, more).map(([a, b]) => ({ ...b, ...a }));
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** True when `schema` refuses some JSON values (it has a type or alternatives). */
function isTyped(schema: JsonSchema): boolean {
  return schema.type !== undefined || schema.oneOf !== undefined;
}

/**
 * A value of another JSON type than `schema` wants (or out of its range); for a schema that
 * takes any value, a value of any type.
 */
export function brokenValue(schema: JsonSchema, hints: Hints): fc.Arbitrary<unknown> {
  if (!isTyped(schema)) return fc.jsonValue({ maxDepth: 2 });
  const others = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    hostileString,
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  );
  const out: fc.Arbitrary<unknown>[] = [others.filter((v) => wrongness(schema, v) !== null)];
  if (schema.type === "string" && schema.maxLength !== undefined) {
    out.push(fc.constant("n".repeat(schema.maxLength + 1)));
  }
  if (schema.type === "string" && (schema.minLength ?? 0) > 0) out.push(fc.constant(""));
  if (schema.type === "integer") {
    if (schema.minimum !== undefined) out.push(fc.constant(schema.minimum - 1));
    if (schema.maximum !== undefined) out.push(fc.constant(schema.maximum + 1));
    out.push(fc.constantFrom(1.5, 1e300, -0.5));
  }
  if (schema.type === "object" && schema.properties) {
    const valid = validValue(schema, hints) as fc.Arbitrary<Record<string, unknown>>;
    const keys = Object.keys(schema.properties);
    const typed = keys.filter((k) => isTyped(schema.properties![k]!));
    // One field of the wrong type.
    if (typed.length > 0) {
      out.push(
        fc.tuple(valid, fc.constantFrom(...typed)).chain(([v, k]) =>
          brokenValue(schema.properties![k]!, hints).map((bad) => ({ ...v, [k]: bad }))
        ),
      );
    }
    // A required field missing.
    if ((schema.required ?? []).length > 0) {
      out.push(
        fc.tuple(valid, fc.constantFrom(...schema.required!)).map(([v, k]) => {
          const copy = { ...v };
          delete copy[k];
          return copy;
        }),
      );
    }
    // A field the schema does not know.
    if (schema.additionalProperties === false) {
      out.push(
        fc.tuple(
          valid,
          hostileString.filter((k) => !keys.includes(k)),
          fc.jsonValue({
            maxDepth: 1,
          }),
        ).map(([v, k, x]) => ({ ...v, [k]: x })),
      );
    }
  }
  return fc.oneof(...out);
}

/** Why `value` does not fit `schema` (shape and ranges only), or null when it does. */
export function wrongness(schema: JsonSchema, value: unknown): string | null {
  if (schema.oneOf) {
    return schema.oneOf.some((s) => wrongness(s, value) === null) ? null : "no shape fits";
  }
  switch (schema.type) {
    case undefined:
      return null;
    case "string":
      if (typeof value !== "string") return "not a string";
      if (schema.enum && !schema.enum.includes(value)) return "not in the enum";
      if (value.length < (schema.minLength ?? 0)) return "too short";
      if (value.length > (schema.maxLength ?? Infinity)) return "too long";
      return null;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return "not an integer";
      if (value < (schema.minimum ?? -Infinity) || value > (schema.maximum ?? Infinity)) {
        return "out of range";
      }
      return null;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : "not a number";
    case "boolean":
      return typeof value === "boolean" ? null : "not a boolean";
    case "null":
      return value === null ? null : "not null";
    case "array":
      if (!Array.isArray(value)) return "not an array";
      if (value.length > (schema.maxItems ?? Infinity)) return "too many items";
      for (const v of value) if (wrongness(schema.items ?? {}, v)) return "a wrong item";
      return null;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return "not an object";
      }
      const obj = value as Record<string, unknown>;
      for (const r of schema.required ?? []) if (!(r in obj)) return `${r} missing`;
      for (const [k, v] of Object.entries(obj)) {
        const p = schema.properties?.[k];
        if (p) {
          if (wrongness(p, v)) return `${k} wrong`;
        } else if (schema.additionalProperties === false) return `${k} unknown`;
        else if (typeof schema.additionalProperties === "object") {
          if (wrongness(schema.additionalProperties, v)) return `${k} wrong`;
        }
      }
      return null;
    }
  }
}

/** JSON text nested `depth` levels deep: arrays, objects or both. */
export function deepJson(depth: number, kind: "array" | "object" | "mixed"): string {
  if (kind === "array") return "[".repeat(depth) + "]".repeat(depth);
  if (kind === "object") return '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
  return '[{"a":'.repeat(depth) + "1" + "}]".repeat(depth);
}
