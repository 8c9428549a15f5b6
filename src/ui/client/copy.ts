/// <reference lib="dom" />
/**
 * Copy buttons: a button with `data-copy="#id"` puts the value of that field on the clipboard
 * and says so on the button for a moment. Where the clipboard is not available (no secure
 * context, permission refused) it selects the text so the reader can copy it themselves.
 *
 * @module
 */

/** Wires every `[data-copy]` button under `root`. */
export function wireCopyButtons(root: Document = document): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>("button[data-copy]")) {
    const label = [...button.childNodes].map((n) => n.cloneNode(true));
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const field = root.querySelector<HTMLInputElement | HTMLTextAreaElement>(
        button.dataset.copy!,
      );
      if (!field) return;
      const text = field.value.replace(/^\n/, "");
      try {
        await navigator.clipboard.writeText(text);
        button.dataset.copied = "";
        button.textContent = "Copied";
        setTimeout(() => {
          delete button.dataset.copied;
          button.replaceChildren(...label.map((n) => n.cloneNode(true)));
        }, 2000);
      } catch {
        field.focus();
        field.select();
      }
    });
  }
}
