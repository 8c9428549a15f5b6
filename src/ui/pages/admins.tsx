/**
 * The Admins page: every administrator (two-factor on or off, last sign-in, open sessions), a
 * form to add one, removal with confirmation, and the signed-in admin's own account: change
 * the password, set up or turn off two-factor sign-in.
 *
 * @module
 */

import type { AdminView } from "../../engine/mod.ts";
import { Button, Card, Notice, PageHead, Table, Time } from "../components.tsx";
import type { UiState } from "../context.ts";
import { ConfirmForm, Field, Form } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { NewPasswordField } from "../password_field.tsx";
import type { Message } from "./signin.tsx";

/** What the page shows. */
export interface AdminsData {
  admins: AdminView[];
  /** Open sessions by admin ID. */
  sessions: Record<string, number>;
  /** The signed-in admin. */
  me: AdminView;
  message?: Message;
  /** Which form the message belongs to. */
  messageFor?: "add" | "password" | "totp" | "list";
  /** A two-factor enrolment under way: the secret to type or the URI to open. */
  enrol?: { secret: string; uri: string };
  /** The user name typed into the add form (kept after an error). */
  addUsername?: string;
}

function At(props: { data: AdminsData; form: AdminsData["messageFor"] }) {
  const m = props.data.message;
  return m && props.data.messageFor === props.form ? <Notice kind={m.kind}>{m.text}</Notice> : null;
}

function TwoFactor(props: { data: AdminsData }) {
  const { me, enrol } = props.data;
  if (enrol) {
    return (
      <>
        <p>
          Add this account to an authenticator app (such as FreeOTP, Aegis or Google Authenticator):
          open the link on a phone that has one, or type the secret in. Then enter the code the app
          shows.
        </p>
        <dl class="facts">
          <div>
            <dt>Secret</dt>
            <dd>
              <code class="secret" id="totp-secret">{enrol.secret}</code>
            </dd>
          </div>
          <div>
            <dt>Link</dt>
            <dd>
              <a href={enrol.uri} class="otpauth" id="totp-uri">{enrol.uri}</a>
            </dd>
          </div>
        </dl>
        <Form action="/admins/totp/confirm">
          <Field
            label="Code from the app"
            name="code"
            autocomplete="one-time-code"
            pattern="[0-9 ]{6,7}"
            required
            hint="Six digits; this turns two-factor sign-in on"
          />
          <Button type="submit" variant="primary">Turn on two-factor sign-in</Button>
        </Form>
      </>
    );
  }
  if (me.totp) {
    return (
      <>
        <p>
          Two-factor sign-in is{" "}
          <strong>on</strong>: signing in asks for a code from your authenticator app after the
          password.
        </p>
        <Form action="/admins/totp/disable">
          <Field
            label="Your password"
            name="password"
            id="f-totp-password"
            type="password"
            autocomplete="current-password"
            required
          />
          <Button type="submit" variant="danger">Turn off two-factor sign-in</Button>
        </Form>
      </>
    );
  }
  return (
    <>
      <p>
        Two-factor sign-in is{" "}
        <strong>off</strong>. With it on, signing in also asks for a code from an authenticator app
        (TOTP, as RFC 6238 describes).
      </p>
      <Form action="/admins/totp/begin">
        <Button type="submit">Set up two-factor sign-in</Button>
      </Form>
    </>
  );
}

/** The Admins page. */
export function AdminsPage(props: { ui: UiState; data: AdminsData }) {
  const { data } = props;
  return (
    <Page ui={props.ui} title="Admins" nav="admins">
      <PageHead title="Admins" />
      <At data={data} form="list" />
      <Table
        caption="Administrators of this console"
        captionHidden
        columns={["User name", "Two-factor", "Created", "Last sign-in", "Open sessions", "Actions"]}
      >
        {data.admins.map((a) => (
          <tr>
            <td>
              {a.username}
              {a.id === data.me.id && <span class="muted">&nbsp;(you)</span>}
            </td>
            <td>{a.totp ? "On" : "Off"}</td>
            <td>
              <Time iso={a.createdAt} />
            </td>
            <td>
              <Time iso={a.lastSignInAt} />
            </td>
            <td class="num">{String(data.sessions[a.id] ?? 0)}</td>
            <td>
              {data.admins.length > 1
                ? (
                  <ConfirmForm
                    action={`/admins/${encodeURIComponent(a.id)}/remove`}
                    message={`Remove the administrator "${a.username}"? Their sessions end at once.`}
                    subject={a.username}
                    label="Remove"
                  />
                )
                : <span class="muted">Only admin</span>}
            </td>
          </tr>
        ))}
      </Table>

      <div class="grid two">
        <Card title="Add an administrator" id="add">
          <At data={data} form="add" />
          <Form action="/admins" id="add-admin" guard>
            <Field
              label="User name"
              name="username"
              id="f-new-username"
              value={data.addUsername}
              autocomplete="off"
              required
            />
            <NewPasswordField
              name="password"
              id="f-new-password"
              label="Password"
              userField="f-new-username"
            />
            <Field
              label="Password again"
              name="password2"
              id="f-new-password2"
              type="password"
              autocomplete="new-password"
              required
            />
            <Button type="submit" variant="primary" icon="plus">Add administrator</Button>
          </Form>
        </Card>

        <Card title={`Your account: ${data.me.username}`} id="account">
          <h3>Change your password</h3>
          <At data={data} form="password" />
          <Form action="/admins/password" id="change-password">
            <Field
              label="Current password"
              name="current"
              type="password"
              autocomplete="current-password"
              required
            />
            <NewPasswordField name="next" label="New password" username={data.me.username} />
            <Field
              label="New password again"
              name="next2"
              type="password"
              autocomplete="new-password"
              required
              hint="Your other sessions end when the password changes"
            />
            <Button type="submit" variant="primary">Change password</Button>
          </Form>
          <h3 id="two-factor">Two-factor sign-in</h3>
          <At data={data} form="totp" />
          <TwoFactor data={data} />
        </Card>
      </div>
    </Page>
  );
}
