/**
 * The JSON Schema subset the API's route definitions use, with a validator. The same schema
 * objects validate request bodies and are written into `/v1/openapi.json`, so the description
 * cannot drift from what the service accepts.
 *
 * @module
 */

export type Schema =
  | {
    type: "string";
    description?: string;
    minLength?: number;
    maxLength?: number;
    enum?: string[];
    format?: string;
  }
  | { type: "integer"; description?: string; minimum?: number; maximum?: number }
  | { type: "number"; description?: string }
  | { type: "boolean"; description?: string }
  | { type: "null"; description?: string }
  | { type: "array"; description?: string; items: Schema; maxItems?: number }
  | {
    type: "object";
    description?: string;
    properties?: Record<string, Schema>;
    required?: string[];
    additionalProperties?: boolean | Schema;
  }
  | { oneOf: Schema[]; description?: string }
  | { description?: string; example?: unknown }; // any value

/** Returns a one-sentence description of the first violation, or null when `value` is valid. */
export function validate(schema: Schema, value: unknown, at = "body"): string | null {
  if ("oneOf" in schema) {
    for (const s of schema.oneOf) if (validate(s, value, at) === null) return null;
    return `${at} does not have an accepted shape`;
  }
  if (!("type" in schema)) return null;
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") return `${at} must be a string`;
      if (schema.minLength !== undefined && value.length < schema.minLength) {
        return schema.minLength === 1
          ? `${at} cannot be empty`
          : `${at} must be at least ${schema.minLength} characters`;
      }
      if (schema.maxLength !== undefined && value.length > schema.maxLength) {
        return `${at} must be at most ${schema.maxLength} characters`;
      }
      if (schema.enum && !schema.enum.includes(value)) {
        return `${at} must be one of ${schema.enum.join(", ")}`;
      }
      return null;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) {
        return `${at} must be a whole number`;
      }
      if (schema.minimum !== undefined && value < schema.minimum) {
        return `${at} must be at least ${schema.minimum}`;
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        return `${at} must be at most ${schema.maximum}`;
      }
      return null;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : `${at} must be a number`;
    case "boolean":
      return typeof value === "boolean" ? null : `${at} must be true or false`;
    case "null":
      return value === null ? null : `${at} must be null`;
    case "array": {
      if (!Array.isArray(value)) return `${at} must be an array`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) {
        return `${at} has more than ${schema.maxItems} items`;
      }
      for (const [i, v] of value.entries()) {
        const e = validate(schema.items, v, `${at}[${i}]`);
        if (e) return e;
      }
      return null;
    }
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return `${at} must be a JSON object`;
      }
      const obj = value as Record<string, unknown>;
      for (const r of schema.required ?? []) {
        if (!(r in obj)) return `${at}.${r} is required`;
      }
      const props = schema.properties ?? {};
      for (const [k, v] of Object.entries(obj)) {
        const p = props[k];
        if (p) {
          const e = validate(p, v, `${at}.${k}`);
          if (e) return e;
        } else if (schema.additionalProperties === false) {
          return `${at}.${k} is not a known field`;
        } else if (typeof schema.additionalProperties === "object") {
          const e = validate(schema.additionalProperties, v, `${at}.${k}`);
          if (e) return e;
        }
      }
      return null;
    }
  }
}
