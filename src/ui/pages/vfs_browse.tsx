/**
 * The file browser over a VFS Library entry: navigate folders, download a file, upload files
 * (streamed, with progress: client module `file_upload.ts`), make a folder, rename and delete.
 * Every name is shown as text, whatever it holds.
 *
 * @module
 */

import type { VfsFileEntry } from "../../engine/mod.ts";
import {
  Button,
  Card,
  EmptyState,
  formatBytes,
  Icon,
  Notice,
  PageHead,
  Table,
  Time,
} from "../components.tsx";
import type { UiState } from "../context.ts";
import { ConfirmForm, Form } from "../forms.tsx";
import { Page } from "../layout.tsx";
import { Breadcrumbs, FlashNotice } from "../page_parts.tsx";
import { href, seg } from "../urls.ts";

/** The folders from the root down to `path`, each with its path. */
export function pathParts(path: string): { name: string; path: string }[] {
  const parts = path.split("/").filter(Boolean);
  return parts.map((name, i) => ({ name, path: `/${parts.slice(0, i + 1).join("/")}` }));
}

function RowActions(props: { vfs: string; dir: string; e: VfsFileEntry }) {
  const base = `/vfs/${seg(props.vfs)}`;
  const { e } = props;
  return (
    <td class="row-actions">
      {!e.isDir && (
        <a class="button" href={href(`${base}/download`, { path: e.path })}>
          <Icon name="download" />
          <span>Download</span>
          <span class="visually-hidden">{` ${e.name}`}</span>
        </a>
      )}
      <details class="rename">
        <summary class="button">
          Rename<span class="visually-hidden">{` ${e.name}`}</span>
        </summary>
        <Form action={`${base}/rename`}>
          <input type="hidden" name="dir" value={props.dir} />
          <input type="hidden" name="from" value={e.name} />
          <label>
            <span>{`New name for "${e.name}"`}</span>
            <input type="text" name="to" value={e.name} required />
          </label>
          <Button type="submit" variant="primary">Rename</Button>
        </Form>
      </details>
      <ConfirmForm
        action={`${base}/remove`}
        hidden={{ path: e.path }}
        message={e.isDir
          ? `Delete the folder "${e.name}" and everything in it? This cannot be undone.`
          : `Delete the file "${e.name}"? This cannot be undone.`}
        label="Delete"
        subject={e.name}
      />
    </td>
  );
}

/** One folder of a VFS. */
export function VfsBrowsePage(props: {
  ui: UiState;
  vfs: string;
  path: string;
  entries: VfsFileEntry[] | null;
  error?: string;
  query: Record<string, string>;
}) {
  const base = `/vfs/${seg(props.vfs)}`;
  const browse = (p: string) => href(`${base}/browse`, { path: p });
  const here = pathParts(props.path);
  const names = (props.entries ?? []).map((e) => e.name);
  return (
    <Page ui={props.ui} title={`${props.vfs}: ${props.path}`} nav="vfs">
      <Breadcrumbs
        label="Folder"
        parts={[
          { label: "VFS Library", href: "/vfs" },
          { label: props.vfs, href: browse("/") },
          ...here.map((p) => ({ label: p.name, href: browse(p.path) })),
        ]}
      />
      <PageHead title={props.path === "/" ? props.vfs : here.at(-1)!.name} />
      <FlashNotice
        query={props.query}
        messages={{
          uploaded: "Uploaded.",
          made: "The folder was made.",
          renamed: "Renamed.",
          deleted: "Deleted.",
        }}
      />
      {props.error && <Notice kind="error">{props.error}</Notice>}
      {props.entries && (
        <>
          <Card title="Add">
            <div class="browser-tools">
              <form
                class="upload"
                data-upload={`${base}/upload`}
                data-dir={props.path}
                data-names={JSON.stringify(names)}
                method="post"
                action={`${base}/upload`}
              >
                <label for="upload-files">Files to upload</label>
                <input type="file" id="upload-files" name="files" multiple required />
                <Button type="submit" icon="upload">Upload</Button>
                <ul class="upload-progress" aria-live="polite"></ul>
              </form>
              <Form action={`${base}/mkdir`} id="mkdir-form">
                <input type="hidden" name="dir" value={props.path} />
                <label for="new-folder">New folder</label>
                <input type="text" id="new-folder" name="name" required />
                <Button type="submit" icon="folder">Make folder</Button>
              </Form>
            </div>
          </Card>
          {props.entries.length === 0
            ? (
              <EmptyState icon="folder" title="This folder is empty">
                Upload a file or make a folder above.
              </EmptyState>
            )
            : (
              <Table
                caption={`Contents of ${props.path}`}
                captionHidden
                columns={["Name", { label: "Size", numeric: true }, "Modified", "Actions"]}
              >
                {props.entries.map((e) => (
                  <tr>
                    <td class="file-name">
                      <Icon name={e.isDir ? "folder" : "file"} />
                      {e.isDir
                        ? <a href={browse(e.path)}>{e.name}</a>
                        : <a href={href(`${base}/download`, { path: e.path })}>{e.name}</a>}
                    </td>
                    <td class="num">{e.isDir ? "—" : formatBytes(e.size)}</td>
                    <td>
                      <Time iso={e.modTime} />
                    </td>
                    <RowActions vfs={props.vfs} dir={props.path} e={e} />
                  </tr>
                ))}
              </Table>
            )}
        </>
      )}
    </Page>
  );
}
