/**
 * Script-side `HttpCli`: a fluent request builder; the host makes the request.
 *
 * @module
 */

import type { HttpRequestSpec, HttpResponseData } from "../protocol/calls.ts";
import type { Bridge } from "./host_bridge.ts";

/** Installs `HttpCli`. */
export function installHttp(bridge: Bridge): void {
  class HttpResponse {
    #r: HttpResponseData;
    constructor(r: HttpResponseData) {
      this.#r = r;
    }
    /** The request got a response with a 2xx status. */
    Ok(): boolean {
      return this.#r.valid && this.#r.status >= 200 && this.#r.status < 300;
    }
    /** The request got a response at all. */
    IsValid(): boolean {
      return this.#r.valid;
    }
    StatusCode(): number {
      return this.#r.status;
    }
    BodyAsString(): string {
      return this.#r.body;
    }
    Header(name: unknown): string {
      const key = String(name).toLowerCase();
      return this.#r.headers.find(([k]) => k === key)?.[1] ?? "";
    }
    ErrorMsg(): string {
      return this.#r.error;
    }
  }

  class HttpRequest {
    #url = "";
    #headers: [string, string][] = [];
    #body: string | Uint8Array | null = null;
    #timeout = 60;

    Url(url: unknown): this {
      this.#url = String(url);
      return this;
    }
    Header(name: unknown, value: unknown): this {
      this.#headers.push([String(name), String(value)]);
      return this;
    }
    Bearer(token: unknown): this {
      return this.Header("Authorization", `Bearer ${String(token)}`);
    }
    BasicAuth(user: unknown, pass: unknown): this {
      const raw = new TextEncoder().encode(`${String(user)}:${String(pass)}`);
      return this.Header("Authorization", `Basic ${btoa(String.fromCharCode(...raw))}`);
    }
    Timeout(seconds: unknown): this {
      const n = Number(seconds);
      if (!(n > 0)) throw new bridge.TypeError("Timeout(seconds) takes a positive number");
      this.#timeout = n;
      return this;
    }
    ReqBody(body: unknown): this {
      this.#body = toBody(body);
      return this;
    }
    Get(): HttpResponse {
      return this.Do("GET");
    }
    Head(): HttpResponse {
      return this.Do("HEAD");
    }
    Delete(): HttpResponse {
      return this.Do("DELETE");
    }
    Post(body?: unknown): HttpResponse {
      return this.Do("POST", body);
    }
    Put(body?: unknown): HttpResponse {
      return this.Do("PUT", body);
    }
    Patch(body?: unknown): HttpResponse {
      return this.Do("PATCH", body);
    }
    Do(verb: unknown, body?: unknown): HttpResponse {
      // Without one, String(undefined) went out as the method "UNDEFINED".
      if (typeof verb !== "string" || verb.trim() === "") {
        throw new bridge.TypeError(
          `HttpCli.Do: the first argument must be an HTTP method (text, e.g. "GET"), not ${
            verb === undefined || verb === null ? String(verb) : JSON.stringify(verb)
          }`,
        );
      }
      if (this.#url === "") throw new bridge.TypeError("HttpCli: call .Url(url) before sending");
      const spec: HttpRequestSpec = {
        url: this.#url,
        method: verb.trim().toUpperCase(),
        headers: this.#headers,
        body: body === undefined ? this.#body : toBody(body),
        timeoutSeconds: this.#timeout,
      };
      return new HttpResponse(bridge.call("http", spec) as HttpResponseData);
    }
  }

  // Callable with or without `new`: a constructor that returns an object yields that object.
  function HttpCli() {
    return new HttpRequest();
  }
  bridge.define("HttpCli", HttpCli);
}

function toBody(body: unknown): string | Uint8Array | null {
  if (body === null || body === undefined) return null;
  // The script's Uint8Array is its context's, not the Worker's.
  if (ArrayBuffer.isView(body) && Object.prototype.toString.call(body) === "[object Uint8Array]") {
    return body as Uint8Array;
  }
  if (typeof body === "string") return body;
  return JSON.stringify(body);
}
