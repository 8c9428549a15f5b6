/**
 * Job parameters: a flat JSON object (`{"k":"v"}`) or the AFT! v3 array
 * (`[{"name":"k","value":"v"}]`), normalised to a flat object of strings. Numbers and
 * booleans are kept as their JSON text; `null` means "not set" (the parameter is left out, so
 * `Params("k")` is empty, not the text "null"); an object or array value is refused, as the REST
 * API's schema refuses it, so a command line and a request mean the same.
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

/**
 * Normalises parameters given as JSON text or as an already-parsed value.
 *
 * `lenient` (command lines only) accepts two forms Windows shells produce from the documented
 * examples: Windows paths with single backslashes (`{"d":"D:\Archive\2026"}`, where `\A` is not a
 * JSON escape), and objects whose double quotes PowerShell 5 stripped (`{d:D:\Archive}`). Strict
 * JSON is always tried first, so valid JSON means what JSON says.
 */
export function parseParams(
  input: unknown,
  opts: { lenient?: boolean } = {},
): Record<string, string> {
  if (input === undefined || input === null || input === "") return {};
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (err) {
      const relaxed = opts.lenient ? relaxedParse(input) : undefined;
      if (relaxed === undefined) {
        throw new ParamsError(`Parameters are not valid JSON: ${(err as Error).message}`);
      }
      value = relaxed;
    }
  }
  const out: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (
        typeof item !== "object" || item === null || typeof item.name !== "string" ||
        item.name === "" || !("value" in item)
      ) {
        throw new ParamsError(
          `Parameter ${i + 1} must be an object with a "name" (not empty) and a "value"`,
        );
      }
      put(out, item.name, item.value);
    }
    return out;
  }
  if (typeof value !== "object" || value === null) {
    throw new ParamsError(
      'Parameters must be a JSON object ({"k":"v"}) or an array of {"name","value"}',
    );
  }
  for (const [k, v] of Object.entries(value)) put(out, k, v);
  return out;
}

function relaxedParse(input: string): unknown {
  // Backslashes that do not start a JSON escape are taken literally.
  try {
    return JSON.parse(input.replace(/\\(?!["\\/bfnrtu])/g, "\\\\"));
  } catch { /* next form */ }
  // {key:value,key2:value2} without quotes (values may hold colons, as in D:\dir).
  const m = /^\s*\{(.*)\}\s*$/s.exec(input);
  if (!m || input.includes('"')) return undefined;
  const out: Record<string, string> = {};
  for (const part of m[1]!.split(",")) {
    if (part.trim() === "") continue;
    const i = part.indexOf(":");
    if (i <= 0) return undefined;
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}

/** Sets `name` to `v` as text; null leaves it out; an object or array is refused. */
function put(out: Record<string, string>, name: string, v: unknown): void {
  if (v === null || v === undefined) return;
  if (typeof v === "object") {
    throw new ParamsError(
      `Parameter "${name}" must be a string, number or boolean, not ${
        Array.isArray(v) ? "an array" : "an object"
      }`,
    );
  }
  out[name] = typeof v === "string" ? v : String(v);
}
