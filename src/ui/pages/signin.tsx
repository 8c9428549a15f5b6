/**
 * The pages before sign-in, without the side navigation: sign-in, the two-factor code, and the
 * setup wizard that creates the first admin.
 *
 * @module
 */

import { Button, Notice } from "../components.tsx";
import type { UiState } from "../context.ts";
import { Field, Form } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { NewPasswordField } from "../password_field.tsx";

/** A message at the top of a form: what went wrong, or what happened. */
export interface Message {
  kind: "info" | "success" | "warning" | "error";
  text: string;
}

function Top(props: { message?: Message }) {
  return props.message ? <Notice kind={props.message.kind}>{props.message.text}</Notice> : null;
}

/** Sign-in: user name and password. */
export function SignInPage(
  props: { ui: UiState; next: string; username?: string; message?: Message },
) {
  return (
    <Page ui={props.ui} title="Sign in" bare>
      <section class="auth-card card">
        <h1>Sign in to aft</h1>
        <Top message={props.message} />
        <Form action="/signin">
          <input type="hidden" name="next" value={props.next} />
          <Field
            label="User name"
            name="username"
            value={props.username}
            autocomplete="username"
            required
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
          />
          <Button type="submit" variant="primary">Sign in</Button>
        </Form>
        <p class="hint muted">
          Locked out? On the service's machine, stop <code>aft serve</code> and run{" "}
          <code>aft reinit</code>: the setup wizard appears again.
        </p>
      </section>
    </Page>
  );
}

/** The second step for an admin with two-factor sign-in. */
export function CodePage(
  props: { ui: UiState; ticket: string; next: string; username: string; message?: Message },
) {
  return (
    <Page ui={props.ui} title="Two-factor code" bare>
      <section class="auth-card card">
        <h1>Two-factor code</h1>
        <Top message={props.message} />
        <p>
          Enter the 6-digit code your authenticator app shows for <strong>{props.username}</strong>
          {" "}
          on aft.
        </p>
        <Form action="/signin/code">
          <input type="hidden" name="ticket" value={props.ticket} />
          <input type="hidden" name="next" value={props.next} />
          <input type="hidden" name="username" value={props.username} />
          <Field
            label="Code"
            name="code"
            autocomplete="one-time-code"
            pattern="[0-9 ]{6,7}"
            required
            hint="Six digits; a new code comes every 30 seconds"
          />
          <Button type="submit" variant="primary">Sign in</Button>
        </Form>
        <p>
          <a href="/signin">Start again</a>
        </p>
      </section>
    </Page>
  );
}

/** The setup wizard: the first admin. */
export function SetupPage(
  props: { ui: UiState; needsCode: boolean; username?: string; message?: Message },
) {
  return (
    <Page ui={props.ui} title="Set up aft" bare>
      <section class="auth-card card">
        <h1>Set up aft</h1>
        <p>
          No administrator exists yet. Create the first one: you are signed in at once, and can add
          more administrators later.
        </p>
        <Top message={props.message} />
        {props.needsCode && (
          <Notice kind="info">
            You are not on the service's machine, so the wizard needs the setup code that{" "}
            <code>aft serve</code> printed in its log (a new one is printed when none is valid).
          </Notice>
        )}
        <Form action="/setup">
          {props.needsCode && (
            <Field
              label="Setup code"
              name="code"
              autocomplete="off"
              required
              hint="Four groups of four letters and digits, from the service's log"
            />
          )}
          <Field
            label="User name"
            name="username"
            value={props.username}
            autocomplete="username"
            required
          />
          <NewPasswordField name="password" label="Password" userField="f-username" />
          <Field
            label="Password again"
            name="password2"
            type="password"
            autocomplete="new-password"
            required
          />
          <Button type="submit" variant="primary">Create the administrator</Button>
        </Form>
      </section>
    </Page>
  );
}
