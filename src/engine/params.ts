/**
 * Job parameters: a flat JSON object (`{"k":"v"}`) or the AFT! v3 array
 * (`[{"name":"k","value":"v"}]`), normalised to a flat object of strings. Non-string values
 * are kept as their JSON text.
 *
 * @example
 * ```ts
 * parseParams('{"n":1,"s":"x"}'); // { n: "1", s: "x" }
 * parseParams('[{"name":"job_id","value":"abc-123"}]'); // { job_id: "abc-123" }
 * ```
 * @module
 */

/** Parameters that are not valid JSON or not of either accepted shape. */
export class ParamsError extends Error {
  override name = "ParamsError";
}

/** Normalises parameters given as JSON text or as an already-parsed value. */
export function parseParams(input: unknown): Record<string, string> {
  if (input === undefined || input === null || input === "") return {};
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new ParamsError(`Parameters are not valid JSON: ${(err as Error).message}`);
    }
  }
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (
        typeof item !== "object" || item === null || typeof item.name !== "string" ||
        !("value" in item)
      ) {
        throw new ParamsError(`Parameter ${i + 1} must be an object with "name" and "value"`);
      }
      out[item.name] = text(item.value);
    }
    return out;
  }
  if (typeof value !== "object" || value === null) {
    throw new ParamsError(
      'Parameters must be a JSON object ({"k":"v"}) or an array of {"name","value"}',
    );
  }
  for (const [k, v] of Object.entries(value)) out[k] = text(v);
  return out;
}

function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v) ?? "";
}
