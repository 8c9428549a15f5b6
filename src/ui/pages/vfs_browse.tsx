/**
 * The file browser over a VFS Library entry: navigate folders, download a file, upload files
 * (streamed, with progress: client module `file_upload.ts`), make a folder, rename and delete.
 * Every name is shown as text, whatever it holds. The names and paths a form acts on are in its
 * action's query, percent-encoded, never in a field: a browser sends a field's line feed as
 * CR LF, and a name holding one would not be found. A folder is shown a page of `BROWSE_PAGE_SIZE`
 * entries at a time, in the listing's order (folders first, then by name), with how many it
 * holds and links to the pages around.
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
  LinkButton,
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

/** Entries of a folder shown on one page of the file browser. */
export const BROWSE_PAGE_SIZE = 200;

/** Which part of a folder's entries a page shows. */
export interface BrowsePaging {
  /** 1-based page number. */
  page: number;
  pages: number;
  /** Entries the folder has. */
  total: number;
  /** Index of the page's first entry. */
  start: number;
}

/**
 * The page `page` (1-based; past the last one: the last one) of `total` entries shown
 * `size` at a time.
 */
export function browsePaging(total: number, page: number, size = BROWSE_PAGE_SIZE): BrowsePaging {
  const pages = Math.max(1, Math.ceil(total / size));
  const p = Math.min(Math.max(1, page), pages);
  return { page: p, pages, total, start: (p - 1) * size };
}

const count = (n: number) => n.toLocaleString("en-US");

/** "Showing 1–500 of 20,000 entries" and the links to the pages around this one. */
function PageLinks(
  props: { paging: BrowsePaging; shown: number; link: (page: number) => string; where: string },
) {
  const { page, pages, total, start } = props.paging;
  return (
    <nav class="pager browse-pager" aria-label={`Pages of the folder (${props.where})`}>
      <p class="paging-summary">
        {pages === 1
          ? `${count(total)} entr${total === 1 ? "y" : "ies"}`
          : `Showing ${count(start + 1)}–${count(start + props.shown)} of ${count(total)} entries`}
      </p>
      {page > 1 && (
        <>
          <LinkButton href={props.link(1)}>First</LinkButton>
          <LinkButton href={props.link(page - 1)}>Previous</LinkButton>
        </>
      )}
      {page < pages && (
        <>
          <LinkButton href={props.link(page + 1)}>Next</LinkButton>
          <LinkButton href={props.link(pages)}>Last</LinkButton>
        </>
      )}
    </nav>
  );
}

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
      {
        /* The field is made when the form is first opened (client/lazy_fields.ts): one in each
           closed <details> of 200 rows cost Chromium about 1.3 s. */
      }
      <details class="rename" data-lazy-fields>
        <summary class="button">
          Rename<span class="visually-hidden">{` ${e.name}`}</span>
        </summary>
        <Form action={href(`${base}/rename`, { dir: props.dir, from: e.name })}>
          <label>
            <span>{`New name for "${e.name}"`}</span>
            <template data-fields>
              <input type="text" name="to" value={e.name} required />
            </template>
            <noscript>
              <input type="text" name="to" value={e.name} required />
            </noscript>
          </label>
          <Button type="submit" variant="primary">Rename</Button>
        </Form>
      </details>
      <ConfirmForm
        action={href(`${base}/remove`, { path: e.path })}
        message={e.isDir
          ? `Delete the folder "${e.name}" and everything in it? This cannot be undone.`
          : `Delete the file "${e.name}"? This cannot be undone.`}
        label="Delete"
        subject={e.name}
      />
    </td>
  );
}

/** One folder of a VFS: `entries` are those of the page `paging` says (all when absent). */
export function VfsBrowsePage(props: {
  ui: UiState;
  vfs: string;
  path: string;
  entries: VfsFileEntry[] | null;
  paging?: BrowsePaging;
  error?: string;
  query: Record<string, string>;
}) {
  const base = `/vfs/${seg(props.vfs)}`;
  const browse = (p: string) => href(`${base}/browse`, { path: p });
  const paging = props.paging ??
    browsePaging(props.entries?.length ?? 0, 1, Math.max(1, props.entries?.length ?? 0));
  const pageLink = (page: number) =>
    href(`${base}/browse`, { path: props.path, page: page === 1 ? undefined : String(page) });
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
                data-existing={`${base}/existing`}
                method="post"
                action={`${base}/upload`}
              >
                <label for="upload-files">Files to upload</label>
                <input type="file" id="upload-files" name="files" multiple required />
                <Button type="submit" icon="upload">Upload</Button>
                <ul class="upload-progress" aria-live="polite"></ul>
              </form>
              <Form action={href(`${base}/mkdir`, { dir: props.path })} id="mkdir-form">
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
              <>
                <PageLinks
                  paging={paging}
                  shown={props.entries.length}
                  link={pageLink}
                  where="top"
                />
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
                {paging.pages > 1 && (
                  <PageLinks
                    paging={paging}
                    shown={props.entries.length}
                    link={pageLink}
                    where="bottom"
                  />
                )}
              </>
            )}
        </>
      )}
    </Page>
  );
}
