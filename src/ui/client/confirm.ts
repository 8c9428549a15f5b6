/// <reference lib="dom" />
/**
 * Confirmation before anything destructive. A form with `data-confirm="Delete ...?"` (see
 * `ConfirmForm`) is submitted only after the page's `<dialog id="confirm-dialog">` was
 * answered with its confirming button; Escape or Cancel leave everything as it was. Other
 * modules ask the same dialog with `confirmDialog()`.
 *
 * @module
 */

/** Opens the page's confirmation dialog; resolves true when the user confirms. */
export function confirmDialog(message: string, confirmLabel = "Confirm"): Promise<boolean> {
  const dialog = document.getElementById("confirm-dialog");
  if (!(dialog instanceof HTMLDialogElement)) return Promise.resolve(false);
  dialog.querySelector("#confirm-message")!.textContent = message;
  dialog.querySelector("#confirm-ok")!.textContent = confirmLabel;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), {
      once: true,
    });
    dialog.showModal();
  });
}

/** Makes every `form[data-confirm]` ask before it submits. */
export function wireConfirmations(root: Document = document): void {
  root.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.dataset.confirm === undefined) return;
    if (form.dataset.confirmed === "1") return;
    event.preventDefault();
    const submitter = (event as SubmitEvent).submitter;
    const ok = await confirmDialog(form.dataset.confirm, form.dataset.confirmLabel ?? "Confirm");
    if (!ok) return;
    form.dataset.confirmed = "1";
    form.requestSubmit(submitter instanceof HTMLElement ? submitter : null);
    delete form.dataset.confirmed;
  });
}
