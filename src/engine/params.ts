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

function text(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v) ?? "";
}
