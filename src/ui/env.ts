/**
 * The console's Hono environment: what the transport tells the app (the caller's address) and
 * what the session middleware sets for the handlers after it (the signed-in administrator and
 * the CSRF token of the page).
 *
 * @module
 */

import type { ConsoleAdmin } from "./session.ts";

/** Hono bindings and variables of every console request. */
export type ConsoleEnv = {
  Bindings: { remoteAddr?: string };
  Variables: { admin: ConsoleAdmin; csrf: string };
};
