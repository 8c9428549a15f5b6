/**
 * Host handler for `HttpCli`: the runner makes the request on the script's behalf.
 *
 * @module
 */

import type { HttpRequestSpec, HttpResponseData } from "../../protocol/calls.ts";
import { type HostContext, ScriptCallError } from "./context.ts";

const MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Sends the request; transport failures become `valid: false` with a message. */
export async function httpRequest(
  ctx: HostContext,
  spec: HttpRequestSpec,
): Promise<HttpResponseData> {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new ScriptCallError(`HttpCli: invalid URL ${JSON.stringify(spec.url)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ScriptCallError(
      `HttpCli: only http and https URLs are supported, not "${url.protocol}"`,
    );
  }
  const timeout = AbortSignal.timeout(Math.round(spec.timeoutSeconds * 1000));
  const signal = AbortSignal.any([timeout, ctx.signal]);
  try {
    const res = await fetch(url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.method === "GET" || spec.method === "HEAD"
        ? undefined
        : (spec.body ?? undefined) as BodyInit | undefined,
      signal,
      redirect: "follow",
    });
    const body = await readBody(res);
    return {
      valid: true,
      status: res.status,
      body,
      headers: [...res.headers.entries()],
      error: res.ok ? "" : `HTTP ${res.status} ${res.statusText}`.trim(),
    };
  } catch (err: unknown) {
    let error = err instanceof Error ? err.message : String(err);
    if (timeout.aborted) error = `Request timed out after ${spec.timeoutSeconds} s`;
    else if (ctx.signal.aborted) error = "Request cancelled: the job was halted";
    return {
      valid: false,
      status: 0,
      body: "",
      headers: [],
      error: `${spec.method} ${url.origin}${url.pathname}: ${error}`,
    };
  }
}

async function readBody(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new Error(`response body larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
