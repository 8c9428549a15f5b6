/**
 * A field for a new password with its strength meter: the policy in the hint, and below the
 * input a `<meter>` with a word and what would make the password stronger, which the client
 * module `strength.ts` keeps up to date as the password is typed (with the same estimator the
 * service checks the policy with). Without script the field still works; the service refuses a
 * password the policy does not allow, saying why.
 *
 * @example
 * ```tsx
 * <NewPasswordField name="password" label="Password" userField="f-username" />
 * ```
 * @module
 */

import { MIN_PASSWORD_LENGTH } from "../engine/mod.ts";

/** The policy in a sentence, for hints. */
export const POLICY_HINT =
  `At least ${MIN_PASSWORD_LENGTH} characters, not the user name, not a common password. ` +
  "Several unrelated words are easy to remember and hard to guess.";

/** A labelled new-password input with its strength meter. */
export function NewPasswordField(props: {
  name: string;
  label: string;
  /** The ID of the user-name input, or the user name itself (`username`). */
  userField?: string;
  username?: string;
  error?: string;
  id?: string;
}) {
  const id = props.id ?? `f-${props.name}`;
  const describedBy = [`${id}-hint`, `${id}-strength`, props.error ? `${id}-error` : ""]
    .filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <span class="hint" id={`${id}-hint`}>{POLICY_HINT}</span>
      <input
        id={id}
        name={props.name}
        type="password"
        autocomplete="new-password"
        required
        minlength={MIN_PASSWORD_LENGTH}
        maxlength={1024}
        aria-describedby={describedBy}
        aria-invalid={props.error ? "true" : undefined}
        data-strength=""
        data-strength-user-field={props.userField}
        data-strength-username={props.username}
      />
      <div class="strength" id={`${id}-strength`} data-strength-for={id} hidden>
        <meter
          min={0}
          max={4}
          low={2}
          high={3}
          optimum={4}
          value={0}
          aria-labelledby={`${id}-level`}
        >
        </meter>
        <span class="strength-level" id={`${id}-level`} aria-live="polite">
          Password strength: not rated yet
        </span>
        <ul class="strength-hints"></ul>
      </div>
      {props.error && <span class="error" id={`${id}-error`}>{props.error}</span>}
    </div>
  );
}
