/**
 * The dashboard (a placeholder until the engine's operations are wired in), and the pages for
 * a path the console does not have and for an error.
 *
 * @module
 */

import { EmptyState, LinkButton, PageHead } from "../components.tsx";
import type { UiState } from "../context.ts";
import { NAV, Page } from "../layout.tsx";

/** The dashboard. */
export function HomePage(props: { ui: UiState }) {
  return (
    <Page ui={props.ui} title="Dashboard" nav="dashboard">
      <PageHead title="Dashboard" />
      <EmptyState icon="dashboard" title="The console is being built">
        Running jobs, charts of the last 24 hours and the next scheduled runs will be shown here.
        Until then, manage aft with the command line (<code>aft help</code>) or the{" "}
        <a href="/v1/openapi.json">REST API</a>.
      </EmptyState>
    </Page>
  );
}

/**
 * A path the console does not serve (or a section not built yet); with `message`, something
 * the path names (a script, a job) that does not exist.
 */
export function NotFoundPage(props: { ui: UiState; message?: string }) {
  if (props.message) {
    return (
      <Page ui={props.ui} title="Not found">
        <PageHead title="Not found" />
        <EmptyState
          icon="search"
          title={props.message}
          action={<LinkButton href="/" variant="primary">Go to the dashboard</LinkButton>}
        >
          It may have been deleted, or renamed.
        </EmptyState>
      </Page>
    );
  }
  const entry = NAV.find((n) => n.href !== "/" && props.ui.path.startsWith(n.href));
  return (
    <Page ui={props.ui} title={entry ? entry.label : "Page not found"} nav={entry?.key}>
      <PageHead title={entry ? entry.label : "Page not found"} />
      {entry
        ? (
          <EmptyState icon={entry.icon} title={`${entry.label} is not in the console yet`}>
            This section is still being built. Meanwhile the command line and the REST API do
            everything it will do.
          </EmptyState>
        )
        : (
          <EmptyState
            icon="search"
            title="There is no page at this address"
            action={<LinkButton href="/" variant="primary">Go to the dashboard</LinkButton>}
          >
            Check the address, or start again from the dashboard.
          </EmptyState>
        )}
    </Page>
  );
}

/** Something failed on the server while making the page. */
export function ErrorPage(props: { ui: UiState }) {
  return (
    <Page ui={props.ui} title="Something went wrong">
      <PageHead title="Something went wrong" />
      <EmptyState icon="alert" title="The console could not show this page">
        The service log says why. Try again, or go back to the dashboard.
      </EmptyState>
    </Page>
  );
}
