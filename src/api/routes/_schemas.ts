/**
 * Schemas shared by the route definitions: names, parameters, the job and its log lines, and
 * the responses of removals.
 *
 * @module
 */

import { ERROR_SCHEMA } from "../openapi.ts";
import type { Schema } from "../schema.ts";

const SCALAR: Schema = {
  oneOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }, { type: "null" }],
};

/** Job parameters: a flat object or the AFT! v3 array. */
export const PARAMS: Schema = {
  description: 'A flat object ({"k":"v"}) or the AFT! v3 array ([{"name":"k","value":"v"}])',
  oneOf: [
    { type: "object", additionalProperties: SCALAR },
    {
      type: "array",
      maxItems: 1000,
      items: {
        type: "object",
        required: ["name", "value"],
        properties: { name: { type: "string", minLength: 1 }, value: SCALAR },
        additionalProperties: false,
      },
    },
  ],
};

/** The name of a script, VFS, key or schedule. */
export const NAME: Schema = { type: "string", minLength: 1, maxLength: 200 };

const STATUS: Schema = {
  type: "string",
  enum: ["queued", "running", "succeeded", "failed", "halted"],
};

/** A job (`JobView`). */
export const JOB: Schema = {
  type: "object",
  properties: {
    id: { type: "string" },
    scriptName: { type: "string" },
    scriptId: { type: "string" },
    filePath: { type: "string" },
    status: STATUS,
    exitCode: { type: "integer" },
    error: { type: "string" },
    trigger: { type: "string", enum: ["api", "cli", "schedule", "ui"] },
    node: { type: "string" },
    params: { type: "object", additionalProperties: { type: "string" } },
    createdAt: { type: "string", format: "date-time" },
    startedAt: { type: "string", format: "date-time" },
    finishedAt: { type: "string", format: "date-time" },
    bytesTransferred: { type: "integer" },
    peakRssBytes: { type: "integer" },
  },
};

/** One log line. */
export const LOG_LINE: Schema = {
  type: "object",
  properties: {
    seq: { type: "integer" },
    ts: { type: "string", format: "date-time" },
    level: { type: "string", enum: ["debug", "info", "warn", "error"] },
    text: { type: "string" },
  },
};

export const ANY_OBJECT: Schema = { type: "object" };

/** Responses of a removal. */
export const DELETED = {
  204: { description: "Removed" },
  404: { description: "Not found", schema: ERROR_SCHEMA },
};

export { ERROR_SCHEMA };
