/**
 * The page shell every console page is rendered in: header (product, version, signed-in
 * admin), side navigation, the main area, the confirmation dialog, and the stylesheet and
 * scripts (the editor's only on pages that ask for it). `renderPage` turns it into the
 * response.
 *
 * @example
 * ```tsx
 * return renderPage(c, ui, <Page title="Scripts" nav="scripts"><p>...</p></Page>);
 * ```
 * @module
 */

import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { Icon } from "./components.tsx";
import { UiContext, type UiState, useUi } from "./context.ts";
import type { IconName } from "./icons.ts";

/** One entry of the side navigation. */
export interface NavEntry {
  key: string;
  label: string;
  href: string;
  icon: IconName;
}

/** The side navigation, in order. Pages name their entry by `key`. */
export const NAV: readonly NavEntry[] = [
  { key: "dashboard", label: "Dashboard", href: "/", icon: "dashboard" },
  { key: "scripts", label: "Scripts", href: "/scripts", icon: "scripts" },
  { key: "jobs", label: "Jobs", href: "/jobs", icon: "jobs" },
  { key: "vfs", label: "VFS Library", href: "/vfs", icon: "vfs" },
  { key: "secrets", label: "Secrets", href: "/secrets", icon: "secrets" },
  { key: "apikeys", label: "API Keys", href: "/apikeys", icon: "apikeys" },
  { key: "schedules", label: "Schedules", href: "/schedules", icon: "schedules" },
  { key: "settings", label: "Settings", href: "/settings", icon: "settings" },
  { key: "admins", label: "Admins", href: "/admins", icon: "admins" },
  { key: "audit", label: "Audit log", href: "/audit", icon: "audit" },
];

/** The client bundles a page may load besides `console.js`. */
export type PageScript = "editor.js";

/** Props of a page. */
export interface PageProps {
  /** The `<title>` and, unless `heading` is false, the page's `<h1>` is the page's job. */
  title: string;
  /** The navigation entry to mark as current. */
  nav?: string;
  /** Extra client bundles (the editor is only loaded where it is used). */
  scripts?: PageScript[];
  children?: Child;
}

function SideNav(props: { current?: string }) {
  const ui = useUi();
  return (
    <nav class="side" aria-label="Console">
      <ul>
        {NAV.map((n) => (
          <li>
            <a href={n.href} aria-current={n.key === props.current ? "page" : undefined}>
              <Icon name={n.icon} />
              {n.label}
            </a>
          </li>
        ))}
      </ul>
      <ul class="side-foot">
        <li>
          <a href="/v1/openapi.json">
            <Icon name="api" />
            REST API (OpenAPI)
          </a>
        </li>
        {ui.demo && (
          <li>
            <a
              href="/style-guide"
              aria-current={props.current === "style-guide" ? "page" : undefined}
            >
              <Icon name="palette" />
              Style guide
            </a>
          </li>
        )}
      </ul>
    </nav>
  );
}

function Header() {
  const ui = useUi();
  return (
    <header class="top">
      <a class="brand" href="/">
        <Icon name="logo" />
        aft
      </a>
      <span class="version">{ui.version}</span>
      <div class="who">
        {ui.admin
          ? (
            <span>
              Signed in as <strong>{ui.admin.name}</strong>
            </span>
          )
          : <span class="muted">Not signed in</span>}
      </div>
    </header>
  );
}

/** The confirmation dialog `confirm.ts` fills and opens; one per page. */
function ConfirmDialog() {
  return (
    <dialog id="confirm-dialog" aria-labelledby="confirm-title" aria-describedby="confirm-message">
      <form method="dialog">
        <h2 id="confirm-title">Please confirm</h2>
        <p id="confirm-message"></p>
        <div class="actions">
          <button type="submit" class="button" value="cancel" autofocus>Cancel</button>
          <button type="submit" class="button danger" value="confirm" id="confirm-ok">
            Confirm
          </button>
        </div>
      </form>
    </dialog>
  );
}

function Shell(props: PageProps) {
  const ui = useUi();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {ui.csrfToken && <meta name="csrf-token" content={ui.csrfToken} />}
        <title>{`${props.title} · aft`}</title>
        <link rel="icon" href={ui.assets.url("favicon.svg")} type="image/svg+xml" />
        <link rel="stylesheet" href={ui.assets.url("console.css")} />
        <script type="module" src={ui.assets.url("console.js")}></script>
        {(props.scripts ?? []).map((s) => (
          <script key={s} type="module" src={ui.assets.url(s)}></script>
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <Header />
        <div class="frame">
          <SideNav current={props.nav} />
          <main id="main" tabindex={-1}>
            {props.children}
          </main>
        </div>
        <ConfirmDialog />
      </body>
    </html>
  );
}

/** A whole console page. */
export function Page(props: PageProps & { ui: UiState }) {
  return (
    <UiContext.Provider value={props.ui}>
      <Shell {...props} />
    </UiContext.Provider>
  );
}

/** The HTML response of a page, with its doctype; `status` defaults to 200. */
export async function renderPage(
  c: Context,
  page: Child,
  status: 200 | 400 | 403 | 404 | 409 | 500 = 200,
): Promise<Response> {
  return c.html(`<!doctype html>${await page}`, status);
}
