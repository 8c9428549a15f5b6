/// <reference lib="dom" />
/**
 * The password strength meter: for every `input[data-strength]`, rates the password as it is
 * typed with the estimator the service checks its policy with (`engine/password_strength.ts`,
 * bundled here), and fills the meter, its words and the hints of `[data-strength-for=ID]`.
 * The user name comes from the input named by `data-strength-user-field`, or is
 * `data-strength-username`.
 *
 * @module
 */

import { estimateStrength } from "../../engine/password_strength.ts";

/** Wires every password input that asks for a meter. */
export function wireStrengthMeters(root: Document = document): void {
  for (const input of root.querySelectorAll<HTMLInputElement>("input[data-strength]")) {
    const box = root.querySelector<HTMLElement>(`[data-strength-for="${input.id}"]`);
    if (!box) continue;
    const meter = box.querySelector("meter")!;
    const level = box.querySelector<HTMLElement>(".strength-level")!;
    const hints = box.querySelector<HTMLElement>(".strength-hints")!;
    const userInput = input.dataset.strengthUserField
      ? root.getElementById(input.dataset.strengthUserField) as HTMLInputElement | null
      : null;
    const update = () => {
      const username = userInput?.value ?? input.dataset.strengthUsername ?? "";
      if (input.value === "") {
        box.hidden = true;
        return;
      }
      const s = estimateStrength(input.value, username);
      box.hidden = false;
      meter.value = s.score;
      box.dataset.score = String(s.score);
      level.textContent = `Password strength: ${s.label}`;
      hints.replaceChildren(
        ...s.hints.map((h) => {
          const li = document.createElement("li");
          li.textContent = h;
          return li;
        }),
      );
    };
    input.addEventListener("input", update);
    userInput?.addEventListener("input", update);
    update();
  }
}
