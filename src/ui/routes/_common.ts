/**
 * What every route of the console's pages shares: the engine acting for the signed-in
 * administrator, the form of a POST as strings, an operation's error as the sentence a page
 * shows (with the status it answers with), and the notices a redirect asks for.
 *
 * @module
 */

import type { Context } from "hono";
import { type Caller, type Engine, EngineError } from "../../engine/mod.ts";
import type { UiState } from "../context.ts";
import type { ConsoleEnv } from "../env.ts";
import { actorOf } from "../session.ts";

/** A console request's context. */
export type Ctx = Context<ConsoleEnv>;

/** Facts about the running service the engine does not hold (`aft serve` knows them). */
export interface ServiceFacts {
  /** The certificate the service presents. */
  tls?: { notAfter: string; fingerprint: string };
}

/** What the page routes are built over. */
export interface RouteDeps {
  engine: Engine;
  uiState(c: Ctx): Promise<UiState>;
  service: ServiceFacts;
}

/**
 * The engine acting for this request's administrator: every change it makes is recorded in
 * the audit log with who made it and from which address.
 */
export function opsFor(deps: RouteDeps, c: Ctx): Engine {
  return deps.engine.as(actorOf(c));
}

/** The console's administrator may do what the data directory's owner may. */
export const ADMIN_CALLER: Caller = { kind: "local" };

/** The fields of a form post; a field sent more than once keeps every value (`all`). */
export async function formOf(c: Ctx): Promise<Form> {
  const body = await c.req.parseBody({ all: true });
  return new Form(body);
}

/** A posted form's fields as text. */
export class Form {
  readonly #body: Record<string, unknown>;
  constructor(body: Record<string, unknown>) {
    this.#body = body;
  }
  /** The field's (first) value; "" when absent. */
  get(name: string): string {
    const v = this.#body[name];
    const first = Array.isArray(v) ? v[0] : v;
    return typeof first === "string" ? first : "";
  }
  /** Every value of a field sent several times. */
  all(name: string): string[] {
    const v = this.#body[name];
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(
      (x): x is string => typeof x === "string",
    );
  }
  /** True for a checked checkbox. */
  checked(name: string): boolean {
    return this.get(name) !== "";
  }
}

/** The status a page answers with when an operation refused. */
export type ErrorStatus = 400 | 403 | 404 | 409 | 500;

/**
 * An operation's refusal as what a page shows: its sentence and status. Anything that is not
 * an EngineError is thrown on (the console's error page).
 */
export function refusal(err: unknown): { message: string; status: ErrorStatus } {
  if (!(err instanceof EngineError)) throw err;
  const status: ErrorStatus = err.kind === "invalid"
    ? 400
    : err.kind === "not_found"
    ? 404
    : err.kind === "conflict"
    ? 409
    : err.kind === "forbidden" || err.kind === "refused" || err.kind === "unauthorized"
    ? 403
    : 500;
  return { message: err.message, status };
}

/** The key/value rows of a form as sent (`paramKey` and `paramValue` fields, in order). */
export function paramRowsOf(form: Form): [string, string][] {
  const values = form.all("paramValue");
  return form.all("paramKey").map((k, i) => [k, values[i] ?? ""]);
}

/**
 * Parameters from key/value rows; a row with neither name nor value is left out. A value
 * without a name and a name given twice are refused (INVALID_REQUEST) rather than lost.
 */
export function paramsOf(form: Form): Record<string, string> {
  const out: Record<string, string> = {};
  paramRowsOf(form).forEach(([k, value], i) => {
    const key = k.trim();
    if (key === "") {
      if (value === "") return;
      throw new EngineError(
        "INVALID_REQUEST",
        `Parameter ${i + 1} has a value but no name: give it a name or remove the row`,
      );
    }
    if (Object.hasOwn(out, key)) {
      throw new EngineError(
        "INVALID_REQUEST",
        `The parameter "${key}" is given twice: keep one row of it`,
      );
    }
    out[key] = value;
  });
  return out;
}

export { href, seg } from "../urls.ts";
