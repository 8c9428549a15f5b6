/**
 * What every component of a page may need from the request: the asset set (for URLs), the
 * signed-in admin, the CSRF token for forms, and whether the demo pages are on. A page sets it
 * once (`<UiContext.Provider>` in `Page`); components read it with `useUi()`.
 *
 * @module
 */

import { createContext, useContext } from "hono/jsx";
import type { AssetSet } from "./assets.ts";

/** The state a page is rendered with. */
export interface UiState {
  assets: AssetSet;
  /** The request's path, to mark the current navigation entry. */
  path: string;
  /** The signed-in administrator; null on the pages before sign-in. */
  admin: { id: string; name: string } | null;
  /**
   * The CSRF token forms carry as `_csrf` (and client modules send as `X-CSRF-Token`, read from
   * `<meta name="csrf-token">`): the session's, or before sign-in the pre-session cookie's.
   */
  csrfToken?: string;
  /** The demo pages (style guide) are served. */
  demo: boolean;
  version: string;
}

/** The context pages provide. */
export const UiContext = createContext<UiState | null>(null);

/** The page's state; throws when a component is rendered outside a `Page`. */
export function useUi(): UiState {
  const ui = useContext(UiContext);
  if (!ui) throw new Error("A console component was rendered outside a Page");
  return ui;
}
