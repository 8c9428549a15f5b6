/**
 * The web console: what `aft serve` mounts (`createConsole`, `consoleOwns`) and where its
 * assets come from (`consoleAssets`).
 *
 * How the folder is laid out, and how a page is added:
 * - `app.ts` builds the Hono app: security headers (`security.ts`), compression, `/assets/`,
 *   the pages, the 404 and error pages. A page is a route there (or a sub-app mounted with
 *   `app.route`) that renders `renderPage(c, <XPage ui={await uiState(c)} />)`.
 * - A page is a component in `pages/` that returns `<Page ui title nav scripts?>` (`layout.tsx`:
 *   header, side navigation, confirmation dialog, stylesheet and scripts). `nav` is a key of
 *   `NAV`; `scripts: ["editor.js"]` loads the editor, on that page only.
 * - Components: `components.tsx` (Icon, Button, LinkButton, PageHead, Card, EmptyState,
 *   Notice, Time, StatusBadge, Table), `forms.tsx` (Form with CSRF field and unsaved-edits
 *   guard, ConfirmForm, Field, TextAreaField, SelectField, CheckboxField, ScriptEditorField),
 *   `live.tsx` (LiveLog, LiveCounters, BarChart). `/style-guide` (demo on) shows them all.
 * - Browser code is in `client/` (one bundle per entry in `bundle.ts`: `console.js` on every
 *   page, `editor.js` on the editor's); it finds its elements by `data-*` attributes. No inline
 *   script or style anywhere: the CSP forbids both.
 * - Tests: `app_test.ts` with `app.request()`; `tests/ui/` in Chromium. A new page gets an
 *   entry in `tests/ui/pages.ts`, which puts it through the browser sweep (console errors, CSP,
 *   axe, light and dark screenshots, size budget, narrow widths) and into `bench/ui.ts`.
 *
 * @module
 */

export { type ConsoleEnv, type ConsoleOptions, consoleOwns, createConsole } from "./app.ts";
export { consoleAssets } from "./asset_source.ts";
