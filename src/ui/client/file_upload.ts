/// <reference lib="dom" />
/**
 * Uploads in the file browser: a `form[data-upload=URL]` sends each chosen file as the body of
 * its own `PUT URL?path=DIR/NAME` (streamed by the browser, never read whole into the page),
 * with the page's CSRF token as `X-CSRF-Token`, and shows each file's progress. A name the
 * folder already has (`data-names`: those on the page shown; the others asked of the service
 * at `data-existing`) is replaced only after the confirmation dialog said so; one the service
 * could not be asked about is refused by it (409, the file kept), and that answer is shown.
 * When every file has been answered the folder is shown again, with what went wrong if any.
 *
 * @module
 */

import { confirmDialog } from "./confirm.ts";
import { formatBytes } from "./format.ts";

/** The path of `name` in folder `dir` ("/" or "/a/b"). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

/** Sends one file; resolves with an error sentence, or undefined when it was stored. */
function put(
  url: string,
  file: File,
  progress: HTMLProgressElement,
  note: HTMLElement,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      progress.max = e.total;
      progress.value = e.loaded;
      note.textContent = `${formatBytes(e.loaded)} of ${formatBytes(e.total)}`;
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(undefined);
      let message = `The service answered ${xhr.status}`;
      try {
        const body = JSON.parse(xhr.responseText) as { error?: { message?: string } };
        if (body.error?.message) message = body.error.message;
      } catch { /* not JSON: the status says it */ }
      resolve(message);
    });
    xhr.addEventListener("error", () => resolve("The connection was lost during the upload"));
    xhr.addEventListener("abort", () => resolve("The upload was cancelled"));
    xhr.send(file);
  });
}

/**
 * Which of `names` the folder `dir` has, from the service (`url?path=DIR&name=...`); none when
 * it cannot say (the upload then refuses a name that is taken, 409, the file kept).
 */
async function existingNames(url: string, dir: string, names: string[]): Promise<string[]> {
  const q = new URLSearchParams({ path: dir });
  for (const n of names) q.append("name", n);
  try {
    const res = await fetch(`${url}?${q}`, { headers: { Accept: "application/json" } });
    if (!res.ok) return [];
    const body = await res.json() as { existing?: unknown };
    return Array.isArray(body.existing) ? body.existing.filter((n) => typeof n === "string") : [];
  } catch {
    return [];
  }
}

/** Wires every upload form under `root`. */
export function wireUploads(root: Document = document): void {
  for (const form of root.querySelectorAll<HTMLFormElement>("form[data-upload]")) {
    const input = form.querySelector<HTMLInputElement>('input[type="file"]');
    const list = form.querySelector<HTMLUListElement>(".upload-progress");
    if (!input || !list) continue;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const files = [...(input.files ?? [])];
      if (files.length === 0) return;
      const dir = form.dataset.dir ?? "/";
      const taken = new Set(JSON.parse(form.dataset.names ?? "[]") as string[]);
      // Names on other pages of the folder: the service says which it has.
      const unseen = files.map((f) => f.name).filter((n) => !taken.has(n));
      if (unseen.length > 0 && form.dataset.existing) {
        for (const n of await existingNames(form.dataset.existing, dir, unseen)) taken.add(n);
      }
      const clash = files.filter((f) => taken.has(f.name)).map((f) => `"${f.name}"`);
      let overwrite = false;
      if (clash.length > 0) {
        overwrite = await confirmDialog(
          `This folder already has ${clash.join(", ")}: replace ${
            clash.length === 1 ? "it" : "them"
          }?`,
          "Replace",
        );
        if (!overwrite) return;
      }
      form.dataset.busy = "1";
      list.replaceChildren();
      const failures: string[] = [];
      for (const file of files) {
        const li = document.createElement("li");
        const name = document.createElement("span");
        name.textContent = file.name;
        const progress = document.createElement("progress");
        progress.max = Math.max(1, file.size);
        progress.value = 0;
        progress.setAttribute("aria-label", `Upload of ${file.name}`);
        const note = document.createElement("span");
        note.textContent = "Waiting";
        li.append(name, progress, note);
        list.append(li);
        const q = new URLSearchParams({ path: joinPath(dir, file.name) });
        if (overwrite) q.set("overwrite", "1");
        const error = await put(`${form.dataset.upload}?${q}`, file, progress, note);
        if (error) {
          note.textContent = error;
          note.className = "failed";
          failures.push(`${file.name}: ${error}`);
        } else {
          progress.value = progress.max;
          note.textContent = "Uploaded";
        }
      }
      delete form.dataset.busy;
      form.dataset.done = failures.length ? "failed" : "ok";
      if (failures.length === 0) {
        const back = new URL(location.href);
        back.searchParams.set("uploaded", "");
        location.assign(back.toString());
      }
    });
  }
}
