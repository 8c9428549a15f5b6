/**
 * The OpenAPI 3.1 document, generated from the route definitions the service runs (see
 * `route_def.ts`), so the description is never written by hand.
 *
 * @module
 */

import type { RouteDef } from "./route_def.ts";
import type { Schema } from "./schema.ts";

export const ERROR_SCHEMA: Schema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "Stable, machine-readable code" },
        message: { type: "string", description: "One sentence for people" },
      },
    },
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: "Malformed JSON, or missing, extra or wrong-typed fields",
  401: "No API key, or an unknown one",
  403: "The caller's address is not in the key's allow-list, or the key lacks the scope",
  404: "Not found",
  409: "Conflicts with the current state",
  413: "Body over 1 MiB",
  429: "Too many failed authentications from this address",
  503: "The service is stopping, or runs no job queue",
  507: "The service's disk is full; nothing was recorded",
};

/** `bytes` as people read a body limit: "1 MiB", else "6,356,992 bytes". */
export function limitText(bytes: number): string {
  return bytes % 1048576 === 0 ? `${bytes / 1048576} MiB` : `${bytes.toLocaleString("en")} bytes`;
}

/** The OpenAPI 3.1 document for `routes`. */
export function openApiDocument(routes: RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = Object.entries(r.query ?? {}).map(([name, schema]) => ({
      name,
      in: "query",
      required: false,
      schema,
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      responses[status] = {
        description: resp.description,
        ...(resp.schema
          ? { content: { [resp.contentType ?? "application/json"]: { schema: resp.schema } } }
          : {}),
      };
    }
    // Every route refuses a body over the limit (413), with or without a body of its own;
    // every route that changes something can find the disk full (507).
    const errors = r.scope === null ? [400, 413] : [400, 401, 403, 413, 429];
    if (r.method !== "get") errors.push(507);
    for (const s of errors) {
      if (s === 400 && !r.body && !r.query) continue;
      responses[String(s)] ??= {
        description: s === 413 && r.bodyLimit
          ? `Body over ${limitText(r.bodyLimit.bytes)}: ${r.bodyLimit.advice}`
          : ERROR_TEXT[s],
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      };
    }
    (paths[r.path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.scope === null || r.scope === "local" ? { security: [] } : {
        security: [{ apiKey: [] }],
        "x-aft-scope": r.scope,
      }),
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { "application/json": { schema: r.body } } } }
        : {}),
      ...(r.rawBody
        ? {
          requestBody: {
            required: true,
            description: r.rawBody.description,
            content: { [r.rawBody.contentType]: { schema: { type: "string", format: "binary" } } },
          },
        }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "aft REST API",
      version,
      description:
        "Queue and follow jobs, and manage what `aft` runs. Authenticate with the X-API-Key header.",
    },
    // Relative: the document is served by the service it describes, so its own address (any
    // host, any --listen port) is the server's. A fixed one named the default port.
    servers: [{ url: "/", description: "The service that serves this document" }],
    components: {
      securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "X-API-Key" } },
      schemas: { Error: ERROR_SCHEMA },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
