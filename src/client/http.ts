/**
 * The HTTPS client of `aft start` and of `aft run` delegation. It speaks plain HTTP/1.1 over a
 * `node:tls` socket so that the server's certificate is checked by our own rules *before* any
 * byte (and so the API key) is sent:
 *
 * 1. `--insecure`: anything is accepted.
 * 2. a chain that verifies against the system roots, `--ca-cert`, or the local service's own CA
 *    (`DATA/tls/ca.pem`), with a matching host name;
 * 3. else trust on first use: the certificate's SHA-256 fingerprint is recorded per host:port in
 *    `known_hosts.json` under the user's config folder, and a different certificate later is
 *    refused. Not with `--ca-cert` (`caOnly`): the user said which CA to trust, and a
 *    certificate it did not sign is refused.
 *
 * @module
 */

import type tls from "node:tls";
import { dirname, join } from "../path.ts";
import { ServiceError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { joinBytes } from "../bytes.ts";
import { type SseEvent, SseParser } from "../sse.ts";

export interface TrustOptions {
  insecure?: boolean;
  /** PEM text of extra CAs to trust (`--ca-cert`, the local service's CA). */
  caPems?: string[];
  /** SHA-256 fingerprint (AB:CD:..) the server's certificate may match instead of a chain. */
  fingerprint?: string;
  /** `--ca-cert` was given: a chain it does not verify is refused, never trusted on first use. */
  caOnly?: boolean;
  /** False: the system's roots are not trusted (the local channel, pinned by `fingerprint`). */
  systemRoots?: boolean;
  /** Where trust-on-first-use fingerprints are kept. */
  knownHostsFile?: string;
  /** Told when a certificate is trusted on first use. */
  onFirstUse?(hostPort: string, fingerprint: string, file: string): void;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The folder for per-user client state (known hosts): `$AFT_CONFIG_DIR`, else the OS's. */
export function configDir(): string {
  const env = Deno.env.get("AFT_CONFIG_DIR");
  if (env) return env;
  if (Deno.build.os === "windows") {
    return join(Deno.env.get("APPDATA") ?? Deno.env.get("USERPROFILE") ?? ".", "aft");
  }
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  if (xdg) return join(xdg, "aft");
  const home = Deno.env.get("HOME") ?? ".";
  return Deno.build.os === "darwin"
    ? join(home, "Library", "Application Support", "aft")
    : join(home, ".config", "aft");
}

/** Splits `host:port`, `[v6]:port` or `host` (port 44399). */
export function splitHostPort(text: string): { host: string; port: number } {
  const t = text.trim().replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  const bad = () => new ServiceError(`"${text}" is not a host, host:port or [IPv6]:port`);
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:]+)(?::(\d+))?$/.exec(t);
  if (!m) {
    // A bare IPv6 address without brackets (then with the default port); anything else with
    // colons ("bad:host:99999", "host:") is a mistake, not an address.
    if (isIpv6(t)) return { host: t, port: 44399 };
    throw bad();
  }
  const host = m[1]!;
  if (t.startsWith("[") ? !isIpv6(host) : !isHostName(host)) throw bad();
  const port = m[2] ? Number(m[2]) : 44399;
  if (!(port > 0 && port < 65536)) throw new ServiceError(`Bad port in "${text}"`);
  return { host, port };
}

/** An IPv6 address, with a zone (`fe80::1%eth0`) or not, as URLs read one. */
function isIpv6(text: string): boolean {
  const addr = text.replace(/%[\w.-]+$/, "");
  if (!addr.includes(":")) return false;
  try {
    return new URL(`https://[${addr}]/`).hostname !== "";
  } catch {
    return false;
  }
}

/** A host name or IPv4 address, and nothing more (no user@, spaces or other URL parts). */
function isHostName(text: string): boolean {
  try {
    const u = new URL(`https://${text}/`);
    return u.hostname !== "" && u.username === "" && u.password === "" && u.port === "" &&
      u.pathname === "/";
  } catch {
    return false;
  }
}

const IP = /^(\d+\.\d+\.\d+\.\d+|.*:.*)$/;

/**
 * `node:tls`, loaded on first use: `aft run` imports this module but connects only when a
 * service runs, and loading Deno's Node TLS layer costs a process tens of milliseconds.
 */
type TlsModule = typeof tls;
let tlsModule: Promise<TlsModule> | undefined;
function nodeTls(): Promise<TlsModule> {
  return tlsModule ??= import("node:tls").then((m) => m.default);
}

export class ApiClient {
  readonly host: string;
  readonly port: number;
  readonly #trust: TrustOptions;
  readonly #headers: Record<string, string>;
  /** Which of `#connect`'s roots verified the last connection: the next one starts there. */
  #firstTry = 0;
  /** A fingerprint `#check` took by its rules (pinned, or known): not looked up again. */
  #taken: string | undefined;

  constructor(hostPort: string, headers: Record<string, string>, trust: TrustOptions) {
    const { host, port } = splitHostPort(hostPort);
    this.host = host;
    this.port = port;
    this.#headers = headers;
    this.#trust = trust;
  }

  get label(): string {
    return this.host.includes(":") ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Sends one request; the body, when given, is sent as JSON. */
  async request(method: string, path: string, body?: unknown): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    return (await this.#exchange(method, path, "application/json", payload)).response;
  }

  /**
   * GETs `path` as a server-sent event stream, passing each event to `onEvent` as it arrives,
   * until the service ends the stream, `signal` aborts (the connection is closed) or the
   * connection breaks (a ServiceError). An answer that is not an event stream (an error, a
   * service that does not stream this route) comes back whole, as `request` gives it, with
   * `streamed` false; `complete` says whether a stream ended as the service meant it to (its
   * last chunk arrived) rather than being cut.
   */
  async stream(
    path: string,
    onEvent: (e: SseEvent) => void,
    signal?: AbortSignal,
  ): Promise<HttpResponse & { streamed: boolean; complete: boolean }> {
    let streamed = false;
    const { response, complete } = await this.#exchange(
      "GET",
      path,
      "text/event-stream",
      undefined,
      (head) => {
        const type = head.headers["content-type"] ?? "";
        if (head.status !== 200 || !type.startsWith("text/event-stream")) return undefined;
        // An event stream: its body is parsed as it comes, not kept.
        streamed = true;
        const events = new SseParser(onEvent);
        return (bytes) => events.push(bytes);
      },
      signal,
    );
    return { ...response, streamed, complete };
  }

  /**
   * One request on a connection of its own, its response read as it arrives (`ResponseReader`;
   * `sinkFor` may take the body as it comes). Settles once the response is whole, without
   * waiting for the close: the server's closing TLS alert may be held back (Nagle) until this
   * side's delayed ACK, 40 ms on Linux. An abort by `signal` closes the connection and settles
   * with what came, `complete` false.
   */
  async #exchange(
    method: string,
    path: string,
    accept: string,
    payload?: Uint8Array,
    sinkFor?: (head: ResponseHead) => ((bytes: Uint8Array) => void) | undefined,
    signal?: AbortSignal,
  ): Promise<{ response: HttpResponse; complete: boolean }> {
    const socket = await this.#connect();
    const reader = new ResponseReader(sinkFor);
    return await new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        socket.destroy();
        fn();
      };
      const onAbort = () => settle(() => resolve({ response: reader.partial(), complete: false }));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.on("data", (d: Uint8Array) => {
        if (settled) return;
        try {
          const response = reader.push(d);
          if (response) settle(() => resolve({ response, complete: true }));
        } catch (err) {
          settle(() => reject(err instanceof ServiceError ? err : this.#unreadable(err)));
        }
      });
      socket.on("error", (e: Error) =>
        settle(() => {
          // A stream broken on its way (a reset, a proxy gone) is taken up again by the caller;
          // if the service itself is gone, that next connection says so.
          if (reader.streaming) resolve({ response: reader.partial(), complete: false });
          else reject(this.#failed(e));
        }));
      socket.on("end", () =>
        settle(() => {
          try {
            resolve({ response: reader.end(), complete: true });
          } catch (err) {
            // A stream cut before its last chunk is no error here: the caller resumes.
            if (reader.streaming) resolve({ response: reader.partial(), complete: false });
            else reject(this.#unreadable(err));
          }
        }));
      // One write: a body written after its head waits for the head's ACK (Nagle), which the
      // server may delay (40 ms on Linux): a POST took about 50 ms that way, 10 in one write.
      const head = new TextEncoder().encode(this.#head(method, path, accept, payload));
      socket.write(payload ? joinBytes([head, payload]) : head);
    });
  }

  /** A request's head: the method and path, our headers, and the payload's type and length. */
  #head(method: string, path: string, accept: string, payload?: Uint8Array): string {
    return [
      `${method} ${path} HTTP/1.1`,
      `Host: ${this.label}`,
      `User-Agent: aft/${VERSION}`,
      `Accept: ${accept}`,
      "Connection: close",
      ...Object.entries(this.#headers).map(([k, v]) => `${k}: ${v}`),
      ...(payload ? ["Content-Type: application/json", `Content-Length: ${payload.length}`] : []),
    ].join("\r\n") + "\r\n\r\n";
  }

  #failed(e: Error): ServiceError {
    return new ServiceError(`Connection to ${this.label} failed: ${e.message}`);
  }

  #unreadable(err: unknown): ServiceError {
    return new ServiceError(
      `${this.label} sent a response aft cannot read: ${(err as Error).message}`,
    );
  }

  /**
   * A connection whose certificate passed `#check`. The roots a chain may verify against are
   * tried in turn, one connection each, until one verifies it: the CAs given (the local
   * service's, `--ca-cert`) and the system's (Deno's own store: Mozilla's, or the system's with
   * `DENO_TLS_CA_STORE=system`); the last connection goes to `#check` either way, and the next
   * request starts with the roots that answered. One `ca` list of both made each connection
   * 15 to 20 ms slower to set up than Deno's own store (Mozilla's 151 roots, given as text to
   * every socket), and `aft start --wait` makes four. The local channel leaves the system's
   * out (its CA, its fingerprint).
   */
  async #connect(): Promise<tls.TLSSocket> {
    const tls = await nodeTls();
    const given = this.#trust.caPems ?? [];
    const tries: (string[] | undefined)[] = [];
    if (given.length > 0) tries.push(given);
    if (this.#trust.systemRoots !== false) {
      // With --ca-cert, the CA's verdict comes last: its error is the one to tell.
      if (this.#trust.caOnly) tries.unshift(undefined);
      else tries.push(undefined);
    }
    if (tries.length === 0) tries.push([]);
    for (let i = this.#firstTry;; i++) {
      const socket = await this.#open(tls, tries[i]);
      const verified = socket.authorized &&
        tls.checkServerIdentity(this.host, socket.getPeerCertificate()) === undefined;
      if (verified || this.#trust.insecure || i === tries.length - 1) {
        try {
          await this.#check(socket, verified);
          this.#firstTry = i;
          return socket;
        } catch (err) {
          socket.destroy();
          throw err;
        }
      }
      socket.destroy();
    }
  }

  /** A TLS connection trusting `ca` (undefined: Deno's own roots); nothing sent on it yet. */
  #open(tls: TlsModule, ca: string[] | undefined): Promise<tls.TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: this.host,
        port: this.port,
        servername: IP.test(this.host) ? undefined : this.host,
        ...(ca ? { ca } : {}),
        rejectUnauthorized: false, // checked by the caller, before anything is sent
      });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ServiceError(`Cannot reach the aft service at ${this.label}: no answer in 15 s`),
        );
      }, 15_000);
      socket.once("error", (e: Error & { code?: string }) => {
        clearTimeout(timer);
        const why = e.code === "ECONNREFUSED"
          ? "connection refused (is `aft serve` running there?)"
          : e.message;
        reject(new ServiceError(`Cannot reach the aft service at ${this.label}: ${why}`));
      });
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve(socket);
      });
    });
  }

  /**
   * Refuses a certificate the trust rules do not take (see `TrustOptions`); `verified`: its
   * chain and host name checked out against the connection's roots.
   */
  async #check(socket: tls.TLSSocket, verified: boolean): Promise<void> {
    if (this.#trust.insecure || verified) return;
    const fp = socket.getPeerCertificate().fingerprint256;
    if (!fp) throw new ServiceError(`${this.label} presented no certificate`);
    // Taken on an earlier connection of this client: known_hosts.json is read once.
    if (fp === this.#taken) return;
    await this.#take(socket, fp);
    this.#taken = fp;
  }

  /** Takes fingerprint `fp` by the pinned one, else known_hosts.json; throws otherwise. */
  async #take(socket: tls.TLSSocket, fp: string): Promise<void> {
    if (this.#trust.fingerprint) {
      if (fp.toUpperCase() === this.#trust.fingerprint.toUpperCase()) return;
      throw new ServiceError(
        `The TLS certificate of ${this.label} is not the one the local service recorded (${this.#trust.fingerprint})`,
      );
    }
    if (this.#trust.caOnly) {
      const why = socket.authorized
        ? `it is not for the host name "${this.host}"`
        : String(socket.authorizationError ?? "it is not signed by that CA");
      throw new ServiceError(
        `The TLS certificate of ${this.label} does not verify against --ca-cert (${why}); refusing to send the request`,
      );
    }
    const file = this.#trust.knownHostsFile ?? join(configDir(), "known_hosts.json");
    let known: Record<string, { sha256: string; firstSeen: string }> = {};
    try {
      known = JSON.parse(await Deno.readTextFile(file));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw new ServiceError(`Cannot read ${file}: ${(err as Error).message}`);
      }
    }
    const seen = known[this.label];
    if (seen) {
      if (seen.sha256 === fp) return;
      throw new ServiceError(
        `The TLS certificate of ${this.label} has changed since it was first trusted (was SHA-256 ${seen.sha256}, now ${fp}); refusing to send the request. If the change is expected, remove "${this.label}" from ${file}, or pass --ca-cert`,
      );
    }
    known[this.label] = { sha256: fp, firstSeen: new Date().toISOString() };
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, JSON.stringify(known, null, 2) + "\n", { mode: 0o600 });
    this.#trust.onFirstUse?.(this.label, fp, file);
  }
}

function indexOf(buf: Uint8Array, seq: number[], from = 0): number {
  outer: for (let i = from; i <= buf.length - seq.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

/** The most a response's header may hold (the service sends well under 1 KiB). */
const MAX_HEAD_BYTES = 64 * 1024;

/** A response's status line and header, and where its body starts in the bytes read. */
interface ResponseHead {
  status: number;
  headers: Record<string, string>;
  bodyAt: number;
}

/** The head of an HTTP/1.1 response, or undefined while its blank line has not arrived. */
function parseHead(buf: Uint8Array): ResponseHead | undefined {
  const end = indexOf(buf, [13, 10, 13, 10]);
  if (end < 0) return undefined;
  const lines = new TextDecoder().decode(buf.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) throw new Error(`bad status line "${lines[0]}"`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, bodyAt: end + 4 };
}

const isChunked = (head: ResponseHead) => /chunked/i.test(head.headers["transfer-encoding"] ?? "");

/** Parses a whole HTTP/1.1 response (Content-Length, chunked, or read to close). */
export function parseResponse(buf: Uint8Array): HttpResponse {
  const reader = new ResponseReader();
  return reader.push(buf) ?? reader.end();
}

/**
 * A response read as it arrives: `push` gives it once it is whole (its Content-Length read,
 * or its last chunk), `end` when the connection closes (a body read to the close). The body
 * is kept, or passed on as it comes to the sink `sinkFor` gives for the response's head.
 */
class ResponseReader {
  readonly #sinkFor: ((head: ResponseHead) => ((b: Uint8Array) => void) | undefined) | undefined;
  #pending: Uint8Array[] = [];
  #size = 0;
  #head: ResponseHead | undefined;
  #sink: ((b: Uint8Array) => void) | undefined;
  #body: Uint8Array[] = [];
  #chunks: ChunkedDecoder | undefined;

  constructor(sinkFor?: (head: ResponseHead) => ((b: Uint8Array) => void) | undefined) {
    this.#sinkFor = sinkFor;
  }

  /** The body goes to a sink (a stream being read). */
  get streaming(): boolean {
    return this.#sink !== undefined;
  }

  push(d: Uint8Array): HttpResponse | undefined {
    if (!this.#head) {
      this.#pending.push(d);
      const all = joinBytes(this.#pending);
      this.#head = parseHead(all);
      if (!this.#head) {
        if (all.length > MAX_HEAD_BYTES) throw new Error("its header has no end");
        return undefined;
      }
      this.#pending = [];
      d = all.subarray(this.#head.bodyAt);
      this.#sink = this.#sinkFor?.(this.#head);
      const take = this.#sink ?? ((b: Uint8Array) => this.#body.push(b));
      if (isChunked(this.#head)) this.#chunks = new ChunkedDecoder(take);
    }
    if (this.#chunks) {
      this.#chunks.push(d);
      return this.#chunks.done ? this.#result() : undefined;
    }
    if (this.#sink) this.#sink(d);
    else this.#body.push(d);
    this.#size += d.length;
    const length = this.#head.headers["content-length"];
    if (length === undefined || this.#size < Number(length)) return undefined;
    return this.#result(Number(length));
  }

  /** The response when the connection closed: whole only if nothing says more was to come. */
  end(): HttpResponse {
    if (!this.#head) throw new Error("no complete header");
    if (this.#chunks) throw new Error("truncated chunk");
    const length = this.#head.headers["content-length"];
    if (length !== undefined) throw new Error(`body cut short (${this.#size} of ${length} bytes)`);
    return this.#result();
  }

  /** What came so far (a stream that was cut or aborted). */
  partial(): HttpResponse {
    return this.#head ? this.#result() : { status: 0, headers: {}, body: "" };
  }

  #result(length?: number): HttpResponse {
    const { status, headers } = this.#head!;
    const body = joinBytes(this.#body);
    return {
      status,
      headers,
      body: new TextDecoder().decode(length === undefined ? body : body.subarray(0, length)),
    };
  }
}

/**
 * The body of a chunked response, decoded as it arrives: `push` takes the raw bytes after the
 * header and passes each chunk's data on; `done` is true after the last (zero-size) chunk.
 * A malformed chunk size throws.
 */
export class ChunkedDecoder {
  readonly #onData: (bytes: Uint8Array) => void;
  #buf = new Uint8Array(0);
  /** Bytes of the current chunk still to come, or -1 while a size line is expected. */
  #left = -1;
  /** The CRLF after a chunk's data is still to be skipped. */
  #trailer = false;
  done = false;

  constructor(onData: (bytes: Uint8Array) => void) {
    this.#onData = onData;
  }

  push(bytes: Uint8Array): void {
    let buf = this.#buf.length ? joinBytes([this.#buf, bytes]) : bytes;
    while (!this.done && buf.length > 0) {
      if (this.#trailer) {
        if (buf.length < 2) break;
        buf = buf.subarray(2);
        this.#trailer = false;
        continue;
      }
      if (this.#left < 0) {
        const eol = buf.indexOf(10);
        if (eol < 0) {
          if (buf.length > 1024) throw new Error("chunk size line too long");
          break;
        }
        const line = new TextDecoder().decode(buf.subarray(0, eol)).replace(/\r$/, "");
        const size = parseInt(line.split(";")[0]!.trim(), 16);
        if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]/.test(line)) {
          throw new Error(`bad chunk size "${line.slice(0, 40)}"`);
        }
        buf = buf.subarray(eol + 1);
        if (size === 0) {
          this.done = true;
          break;
        }
        this.#left = size;
        continue;
      }
      const take = Math.min(this.#left, buf.length);
      this.#onData(buf.subarray(0, take));
      buf = buf.subarray(take);
      this.#left -= take;
      if (this.#left === 0) {
        this.#left = -1;
        this.#trailer = true;
      }
    }
    this.#buf = buf.length ? buf.slice() : new Uint8Array(0);
  }
}
