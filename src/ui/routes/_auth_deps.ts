/**
 * What the routes of sign-in, admins, the audit log and settings are built over, and the small
 * helpers they share: a posted form's fields as text, and an engine error as the sentence and
 * status a page shows.
 *
 * @module
 */

import type { Context } from "hono";
import { type Engine, EngineError } from "../../engine/mod.ts";
import type { UiState } from "../context.ts";

/** The certificate the service presents, as the Settings page shows it. */
export interface TlsDetails {
  subject: string;
  issuer: string;
  /** Subject alternative names: `DNS:host`, `IP:127.0.0.1`. */
  sans: string[];
  notBefore: string;
  notAfter: string;
  /** SHA-256, hex pairs with colons. */
  fingerprint: string;
  /** Given with --tls-cert, or made by aft serve under its local CA. */
  source: "given" | "local CA";
}

/** Deps of the account, audit and settings routes. */
export interface AuthDeps {
  engine: Engine;
  uiState(c: Context): Promise<UiState>;
  /** The service's log (setup codes are printed there). */
  log(msg: string): void;
  /** The certificate the service presents, when it serves over TLS. */
  tls?: TlsDetails;
}

/** A posted form's fields (the first value of each) as text. */
export async function formFields(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === "string") out[k] = first;
  }
  return out;
}

/** A page's answer to an operation that refused: the sentence, and the status. */
export function refused(err: unknown): { text: string; status: 400 | 401 | 403 | 404 | 409 | 429 } {
  if (!(err instanceof EngineError) || err.kind === "failed" || err.kind === "storage_full") {
    throw err;
  }
  const status = err.kind === "invalid"
    ? 400
    : err.kind === "unauthorized"
    ? 401
    : err.kind === "not_found"
    ? 404
    : err.kind === "conflict"
    ? 409
    : err.kind === "throttled"
    ? 429
    : 403;
  return { text: err.message, status };
}
