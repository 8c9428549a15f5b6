/**
 * The names of the console's icons: one `<symbol id="i-NAME">` each in `static/icons.svg`
 * (our own drawings, served as one cached sprite). A test keeps the list and the sprite equal.
 *
 * @module
 */

/** Every icon the sprite holds. */
export const ICON_NAMES = [
  "logo",
  "dashboard",
  "scripts",
  "jobs",
  "vfs",
  "secrets",
  "apikeys",
  "schedules",
  "settings",
  "admins",
  "audit",
  "api",
  "palette",
  "trash",
  "plus",
  "play",
  "stop",
  "download",
  "upload",
  "info",
  "alert",
  "check",
  "x",
  "external",
  "signout",
  "folder",
  "file",
  "copy",
  "search",
] as const;

/** An icon's name. */
export type IconName = typeof ICON_NAMES[number];
