/**
 * Console URLs built from names and values, which may hold anything a name may (spaces,
 * quotes, slashes, `<script>`): every part is percent-encoded.
 *
 * @module
 */

/** `path` with its query: `href("/jobs", { status: "failed" })`; empty values left out. */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A name as one path segment. */
export const seg = (name: string): string => encodeURIComponent(name);
