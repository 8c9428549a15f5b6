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

export interface TrustOptions {
  insecure?: boolean;
  /** PEM text of extra CAs to trust (`--ca-cert`, the local service's CA). */
  caPems?: string[];
  /** SHA-256 fingerprint (AB:CD:..) the server's certificate may match instead of a chain. */
  fingerprint?: string;
  /** `--ca-cert` was given: a chain it does not verify is refused, never trusted on first use. */
  caOnly?: boolean;
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
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:]+)(?::(\d+))?$/.exec(t);
  if (!m) {
    // a bare IPv6 address without brackets
    if (t.includes(":")) return { host: t, port: 44399 };
    throw new ServiceError(`"${text}" is not a host or host:port`);
  }
  const port = m[2] ? Number(m[2]) : 44399;
  if (!(port > 0 && port < 65536)) throw new ServiceError(`Bad port in "${text}"`);
  return { host: m[1]!, port };
}

const IP = /^(\d+\.\d+\.\d+\.\d+|.*:.*)$/;

/**
 * `node:tls`, loaded on first use: `aft run` imports this module but connects only when a
 * service runs, and loading Deno's Node TLS layer costs a process tens of milliseconds.
 */
let tlsModule: Promise<typeof tls> | undefined;
function nodeTls(): Promise<typeof tls> {
  return tlsModule ??= import("node:tls").then((m) => m.default);
}

export class ApiClient {
  readonly host: string;
  readonly port: number;
  readonly #trust: TrustOptions;
  readonly #headers: Record<string, string>;

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
    const socket = await this.#connect();
    const payload = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
    const head = [
      `${method} ${path} HTTP/1.1`,
      `Host: ${this.label}`,
      `User-Agent: aft/${VERSION}`,
      "Accept: application/json",
      "Connection: close",
      ...Object.entries(this.#headers).map(([k, v]) => `${k}: ${v}`),
      ...(payload ? ["Content-Type: application/json", `Content-Length: ${payload.length}`] : []),
    ].join("\r\n") + "\r\n\r\n";
    return await new Promise<HttpResponse>((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      socket.on("data", (d: Uint8Array) => chunks.push(d));
      socket.on(
        "error",
        (e: Error) => reject(new ServiceError(`Connection to ${this.label} failed: ${e.message}`)),
      );
      socket.on("end", () => {
        try {
          resolve(parseResponse(joinBytes(chunks)));
        } catch (err) {
          reject(
            new ServiceError(
              `${this.label} sent a response aft cannot read: ${(err as Error).message}`,
            ),
          );
        }
      });
      socket.write(head);
      if (payload) socket.write(payload);
    });
  }

  async #connect(): Promise<tls.TLSSocket> {
    const tls = await nodeTls();
    const ca = [...tls.rootCertificates, ...(this.#trust.caPems ?? [])];
    return await new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: this.host,
        port: this.port,
        servername: IP.test(this.host) ? undefined : this.host,
        ca,
        rejectUnauthorized: false, // checked below, before anything is sent
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
      socket.once("secureConnect", async () => {
        clearTimeout(timer);
        try {
          await this.#check(socket);
          resolve(socket);
        } catch (err) {
          socket.destroy();
          reject(err);
        }
      });
    });
  }

  async #check(socket: tls.TLSSocket): Promise<void> {
    if (this.#trust.insecure) return;
    const cert = socket.getPeerCertificate();
    const tls = await nodeTls();
    if (socket.authorized && tls.checkServerIdentity(this.host, cert) === undefined) return;
    const fp = cert.fingerprint256;
    if (!fp) throw new ServiceError(`${this.label} presented no certificate`);
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

const CRLF = [13, 10];

/** Parses a whole HTTP/1.1 response (Content-Length, chunked, or read to close). */
export function parseResponse(buf: Uint8Array): HttpResponse {
  const end = indexOf(buf, [13, 10, 13, 10]);
  if (end < 0) throw new Error("no complete header");
  const dec = new TextDecoder();
  const lines = dec.decode(buf.subarray(0, end)).split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
  if (!m) throw new Error(`bad status line "${lines[0]}"`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = buf.subarray(end + 4);
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    const parts: Uint8Array[] = [];
    let at = 0;
    for (;;) {
      const eol = indexOf(body, CRLF, at);
      if (eol < 0) throw new Error("truncated chunk");
      const size = parseInt(dec.decode(body.subarray(at, eol)).split(";")[0]!, 16);
      if (!Number.isFinite(size)) throw new Error("bad chunk size");
      if (size === 0) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = joinBytes(parts);
  } else if (headers["content-length"] !== undefined) {
    body = body.subarray(0, Number(headers["content-length"]));
  }
  return { status: Number(m[1]), headers, body: dec.decode(body) };
}
