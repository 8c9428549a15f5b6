import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import process from "node:process";
import { PassThrough } from "node:stream";
import { isDownloadPipelineWarning } from "./download_warning.ts";

/** The warnings Node raises for 11 listeners of `type` on `emitter`. */
async function warningFor(emitter: EventEmitter, type: string): Promise<Error> {
  const got = new Promise<Error>((ok) => process.once("warning", ok));
  for (let i = 0; i < 11; i++) emitter.on(type, () => {});
  return await got;
}

Deno.test("only the stacked pipelines' warning is dropped: a PassThrough's error and close listeners", async () => {
  assert.ok(isDownloadPipelineWarning(await warningFor(new PassThrough(), "error")));
  assert.ok(isDownloadPipelineWarning(await warningFor(new PassThrough(), "close")));
  assert.ok(!isDownloadPipelineWarning(await warningFor(new PassThrough(), "data")));
  assert.ok(!isDownloadPipelineWarning(await warningFor(new EventEmitter(), "error")));
  const other = new Error("x");
  other.name = "DeprecationWarning";
  assert.ok(!isDownloadPipelineWarning(other));
});
