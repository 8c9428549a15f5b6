/**
 * Requests for the REST API fuzz run, generated from `/v1/openapi.json`: every operation, with
 * path and query parameters and bodies from its schemas, valid and broken (wrong types,
 * missing and extra fields, huge strings, deep nesting, invalid JSON, wrong content types,
 * oversized bodies, garbage cursors, unknown IDs, keys without the scope), plus routes that do
 * not exist. Paths outside `/v1/` and `/metrics` belong to the web console and are left out.
 *
 * @module
 */

import fc from "fast-check";
import {
  brokenValue,
  deepJson,
  type Hints,
  hostileString,
  type JsonSchema,
  resolve,
  validValue,
} from "./_fuzz_values.ts";

/**
 * Bytes of request line and headers past which the transport (Deno's HTTP/2 server, whose
 * header list limit is 16 KiB) answers 431 itself, before the API sees the request.
 */
export const HEADER_LIMIT = 16 * 1024;

/** `s` cut to 4,000 characters: fetch() cannot send a URL over 64 KiB. */
function cut(s: string): string {
  return s.length > 4000 ? s.slice(0, 4000) : s;
}

/** One operation of the OpenAPI document. */
export interface Operation {
  operationId: string;
  method: string;
  path: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body?: JsonSchema;
  /** Statuses the document gives for the operation. */
  statuses: number[];
  /** Scope a key needs; null: open; "local": the local channel. */
  scope: string | null;
}

/** How a request body is sent. */
export type Body =
  | { kind: "text"; text: string }
  /** Over the 1 MiB limit: `declared` sends a Content-Length, else the body is streamed. */
  | { kind: "oversized"; bytes: number; declared: boolean };

/** One generated request. */
export interface FuzzRequest {
  op: Operation | null;
  method: string;
  /** Path and query, encoded. */
  target: string;
  headers: Record<string, string>;
  body?: Body;
  /** Statuses the document allows for it. */
  allowed: number[];
  /** What was broken on purpose, for the report. */
  broken: string[];
}

/** The operations of `doc` (`/v1/openapi.json`). */
export function operationsOf(doc: Record<string, unknown>): Operation[] {
  const out: Operation[] = [];
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: JsonSchema }[];
      const body = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> })
        ?.content?.["application/json"]?.schema;
      out.push({
        operationId: String(op.operationId),
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        query: Object.fromEntries(
          params.filter((p) => p.in === "query").map((p) => [p.name, resolve(doc, p.schema)]),
        ),
        body: body ? resolve(doc, body) : undefined,
        statuses: Object.keys(op.responses as object).map(Number),
        scope: Array.isArray(op.security) && op.security.length === 0
          ? (op.operationId === "localRun" ? "local" : null)
          : String(op["x-aft-scope"]),
      });
    }
  }
  return out;
}

/** Keys the run can send: the admin's (most requests) and others. */
export interface Keys {
  admin: string;
  readOnly: string;
  starter: string;
}

/** Known IDs and names for path parameters and fields, per operation path prefix. */
export interface Pools {
  /** Path parameter values that exist, by resource (`jobs`, `scripts`, ...). */
  ids: Record<string, string[]>;
  hints: Hints;
}

const UNKNOWN_ID = fc.oneof(
  fc.constantFrom("01J00000000000000000000000", "0", "-1", "null", "undefined", "%", "%zz"),
  fc.uuid(),
  // "." and ".." cannot be sent as a segment: URL parsing (of fetch, and of every client)
  // folds them away, encoded or not.
  hostileString.filter((s) => s.length > 0 && s.length <= 2000 && s !== "." && s !== ".."),
);

/** Cursors the service never gave (an empty one means none and is left out). */
const GARBAGE_CURSOR = fc.oneof(
  fc.constantFrom("x", "-1", "0", "1e9", "eyJpZCI6MX0=", "null", "../", "\u0000", "ZZZ"),
  hostileString,
  fc.base64String({ maxLength: 40 }),
).filter((c) => c !== "");

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/json; charset=utf-16",
  "application/xml",
  "garbage/\u00ff",
];

const INVALID_JSON = fc.oneof(
  fc.constantFrom("", "{", "}", "[", "nul", "{'a':1}", '{"a":1,}', "\u0000", "{}{}", "NaN", "01"),
  fc.string({ maxLength: 50 }).filter((s) => {
    try {
      JSON.parse(s);
      return false;
    } catch {
      return true;
    }
  }),
);

/**
 * `s` percent-encoded for a URL; a lone surrogate (which `encodeURIComponent` refuses) goes
 * out as the three bytes it would have in WTF-8, which are not valid UTF-8.
 */
export function encodePart(s: string): string {
  let out = "";
  let run = "";
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const high = code >= 0xd800 && code < 0xdc00;
    const low = code >= 0xdc00 && code < 0xe000;
    const next = s.charCodeAt(i + 1);
    if (high && next >= 0xdc00 && next < 0xe000) {
      run += s[i]! + s[i + 1]!;
      i++;
    } else if (high || low) {
      out += encodeURIComponent(run);
      run = "";
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => "%" + b.toString(16).toUpperCase()).join("");
    } else run += s[i];
  }
  return out + encodeURIComponent(run);
}

function resourceOf(path: string): string {
  return path.split("/").filter((p) => p && !p.startsWith("{")).at(-1)!.replace(
    /^(log|halt)$/,
    "jobs",
  );
}

function pathParam(op: Operation, pools: Pools): fc.Arbitrary<[string, boolean]> {
  const known = pools.ids[resourceOf(op.path.replace(/\/\{\w+\}.*$/, ""))] ?? [];
  const good = known.length > 0
    ? fc.constantFrom(...known).map((v) => [v, false] as [string, boolean])
    : null;
  const bad = UNKNOWN_ID.map((v) => [v, true] as [string, boolean]);
  return good ? fc.oneof({ arbitrary: good, weight: 2 }, { arbitrary: bad, weight: 1 }) : bad;
}

function queryArb(op: Operation, pools: Pools): fc.Arbitrary<[string, string[]]> {
  const entries = Object.entries(op.query);
  if (entries.length === 0) {
    return fc.constant(["", []]);
  }
  const one = entries.map(([name, s]) => {
    const good = validValue(s, pools.hints, name).map((v) => [String(v), ""] as const);
    const bad = name === "cursor"
      ? GARBAGE_CURSOR.map((v) => [v, "cursor"] as const)
      : brokenValue(s, pools.hints).map((v) =>
        [typeof v === "string" ? v : JSON.stringify(v) ?? "", `query ${name}`] as const
      );
    return fc.option(fc.oneof(good, bad), { nil: undefined }).map((v) =>
      v === undefined ? null : { name, value: v[0], broken: v[1] }
    );
  });
  const extra = fc.option(
    fc.tuple(hostileString, hostileString).map(([k, v]) => ({ name: k, value: v, broken: "" })),
    { nil: null, freq: 4 },
  );
  return fc.tuple(fc.tuple(...one), extra).map(([parts, more]) => {
    const all = [...parts, more].filter((p) => p !== null);
    const qs = all.map((p) => `${encodePart(cut(p!.name))}=${encodePart(cut(p!.value))}`);
    return [qs.length ? "?" + qs.join("&") : "", all.map((p) => p!.broken).filter(Boolean)];
  });
}

function bodyArb(schema: JsonSchema, pools: Pools): fc.Arbitrary<[Body, string[]]> {
  const text = (t: string): Body => ({ kind: "text", text: t });
  const fields = Object.keys(schema.properties ?? {});
  const choices: fc.WeightedArbitrary<[Body, string[]]>[] = [
    {
      arbitrary: validValue(schema, pools.hints).map((v) => [text(JSON.stringify(v)), []]),
      weight: 8,
    },
    {
      arbitrary: brokenValue(schema, pools.hints).map((v) => [
        text(JSON.stringify(v) ?? "null"),
        ["body shape"],
      ]),
      weight: 5,
    },
    { arbitrary: INVALID_JSON.map((t) => [text(t), ["invalid JSON"]]), weight: 2 },
    {
      arbitrary: fc.tuple(
        fc.integer({ min: 1000, max: 200_000 }),
        fc.constantFrom("array", "object", "mixed" as const),
        fields.length ? fc.constantFrom(...fields) : fc.constant(null),
      ).map(([depth, kind, field]) => {
        const deep = deepJson(depth, kind);
        return [text(field ? `{${JSON.stringify(field)}:${deep}}` : deep), ["deep nesting"]];
      }),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(
        fc.integer({ min: 100_000, max: 1_000_000 }),
        fields.length ? fc.constantFrom(...fields) : fc.constant("x"),
      ).map(([n, field]) => [text(JSON.stringify({ [field]: "h".repeat(n) })), ["huge string"]]),
      weight: 1,
    },
    {
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 512 * 1024 }), fc.boolean()).map((
        [over, declared],
      ) => [{ kind: "oversized", bytes: 1024 * 1024 + over, declared }, ["oversized body"]]),
      weight: 1,
    },
  ];
  return fc.oneof(...choices);
}

/** Requests for `op`: its parameters and body, the key, the content type. */
function requestFor(op: Operation, keys: Keys, pools: Pools): fc.Arbitrary<FuzzRequest> {
  const params = fc.tuple(...op.pathParams.map(() => pathParam(op, pools)));
  const body = op.method === "GET" // fetch() sends no body with GET
    ? fc.constant(undefined)
    : op.body
    ? fc.option(bodyArb(op.body, pools), { nil: undefined, freq: 20 })
    : fc.option(
      fc.oneof(
        fc.jsonValue({ maxDepth: 2 }).map((v) =>
          [{ kind: "text", text: JSON.stringify(v) }, ["body where none is taken"]] as [
            Body,
            string[],
          ]
        ),
        bodyArb({ type: "object" }, pools).filter(([b]) => b.kind === "oversized"),
      ),
      { nil: undefined, freq: 6 },
    );
  const key = fc.oneof(
    { arbitrary: fc.constant(["admin", keys.admin] as const), weight: 12 },
    { arbitrary: fc.constant(["jobs:read", keys.readOnly] as const), weight: 1 },
    { arbitrary: fc.constant(["jobs:start", keys.starter] as const), weight: 1 },
    { arbitrary: fc.constant(["none", null] as const), weight: 1 },
    {
      arbitrary: fc.oneof(
        // (A key of spaces alone is sent as an empty header: no key at all.)
        fc.constantFrom("aft_0000", "x".repeat(5000), keys.admin + "x", keys.admin.slice(1)),
        hostileString.filter((s) => /^[\t\x20-\x7e]+$/.test(s) && s.trim() === s && s !== "")
          .map((s) => s.slice(0, 20_000)),
      ).map((k) => ["unknown", k] as const),
      weight: 1,
    },
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant("application/json"), weight: 8 },
    { arbitrary: fc.constantFrom(...CONTENT_TYPES, ""), weight: 1 },
  );
  const accept = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 8 },
    { arbitrary: fc.constantFrom("text/event-stream", "application/xml", "*/*"), weight: 1 },
  );
  return fc.record({
    params,
    query: queryArb(op, pools),
    body,
    key,
    contentType,
    accept,
    localToken: fc.option(fc.constantFrom("", "x", "0".repeat(64)), { nil: undefined, freq: 20 }),
  }).map((g) => {
    let path = op.path;
    const broken: string[] = [...g.query[1]];
    op.pathParams.forEach((name, i) => {
      const [value, unknown] = g.params[i]!;
      if (unknown) broken.push("unknown ID");
      path = path.replace(`{${name}}`, encodePart(value));
    });
    const headers: Record<string, string> = {};
    if (g.key[1] !== null) headers["X-API-Key"] = g.key[1];
    if (g.key[0] !== "admin") broken.push(`key ${g.key[0]}`);
    if (g.localToken !== undefined) {
      headers["X-Aft-Local-Token"] = g.localToken;
      broken.push("local token");
    }
    if (g.accept) headers["Accept"] = g.accept;
    if (g.body) {
      broken.push(...g.body[1]);
      if (g.contentType !== "") headers["Content-Type"] = g.contentType;
      if (g.contentType !== "application/json") broken.push("content type");
    }
    const target = path + g.query[0];
    // Near the limit (fetch adds headers of its own) either answer may come; past it, 431.
    // The transport resets the stream of a request it refuses, so no body goes with one.
    const size = target.length + Object.entries(headers).join().length;
    const near = size > HEADER_LIMIT - 1024;
    if (near) broken.push("headers near or over the limit");
    return printable({
      op,
      method: op.method,
      target,
      headers,
      body: near ? undefined : g.body?.[0],
      allowed: size > HEADER_LIMIT ? [431] : near ? [...op.statuses, 431] : op.statuses,
      broken,
    });
  });
}

/** `r`, shown by fast-check in its short form (`describe`). */
function printable(r: FuzzRequest): FuzzRequest {
  Object.defineProperty(r, fc.toStringMethod, { value: () => describe(r) });
  return r;
}

/** Requests for paths and methods the API does not have. */
function strayRequest(ops: Operation[], keys: Keys): fc.Arbitrary<FuzzRequest> {
  const known = new Set(ops.map((o) => `${o.method} ${o.path}`));
  return fc.tuple(
    fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
    fc.oneof(
      fc.constantFrom(...ops.map((o) => o.path.replace(/\{\w+\}/g, "x"))),
      fc.constantFrom("/v1", "/v1/", "/v1/adm", "/v1/jobs/x/y/z", "/v1/.env"),
      hostileString.filter((s) => s.length <= 2000 && s !== "." && s !== "..")
        .map((s) => "/v1/" + encodePart(s)),
      fc.constantFrom("/v1/adm/%2e%2e/apikeys", "/v1/adm/jobs/%2F..%2F", "/v1//jobs"),
    ),
  ).filter(([m, p]) =>
    !known.has(`${m} ${p}`) && !ops.some((o) => o.method === m && matches(o.path, p))
  )
    .map(([method, path]) =>
      printable({
        op: null,
        method,
        target: path,
        headers: { "X-API-Key": keys.admin },
        allowed: [404, 405],
        broken: ["no such route"],
      })
    );
}

function matches(template: string, path: string): boolean {
  const re = new RegExp("^" + template.replace(/\{\w+\}/g, "[^/]+") + "/?$");
  return re.test(path);
}

/**
 * Requests over every operation of `ops` (each about as often), and a few to routes that do
 * not exist. Paths outside `/v1/` and `/metrics` belong to the web console and are left out. Pages of the console (paths outside the API) are left out.
 */
export function requestArb(ops: Operation[], keys: Keys, pools: Pools): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { arbitrary: fc.oneof(...ops.map((op) => requestFor(op, keys, pools))), weight: 12 },
    { arbitrary: strayRequest(ops, keys), weight: 1 },
  );
}

/** A short description of `r` for failure reports (bodies cut to 300 characters). */
export function describe(r: FuzzRequest): string {
  const b = r.body === undefined
    ? ""
    : r.body.kind === "oversized"
    ? ` <${r.body.bytes} bytes${r.body.declared ? "" : ", streamed"}>`
    : ` ${JSON.stringify(r.body.text.slice(0, 300))}${
      r.body.text.length > 300 ? `… (${r.body.text.length} chars)` : ""
    }`;
  const t = r.target.length > 300 ? r.target.slice(0, 300) + "…" : r.target;
  return `${r.method} ${t} ${JSON.stringify(r.headers).slice(0, 300)}${b} [${r.broken.join(", ")}]`;
}
