/**
 * A script's local files as aft reads and names them: a file system error of an operation on
 * the script's path, in the disk VFS's words (loaded on failure only), and the check that a
 * file to be read whole is a regular file. No Node module: the helpers of a script that uses
 * only the local disk load none (`cli_short_imports_test.ts`).
 *
 * @module
 */

/**
 * Throws unless `abs` (the script's `shown`) is a regular file. Opening a FIFO blocks in the
 * kernel where no halt, time-out or Ctrl-C reaches (only killing the runner ended the job),
 * and a device never ends: every helper that reads a whole local file looks first.
 */
export async function checkRegularFile(abs: string, shown: string): Promise<void> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(abs);
  } catch (err) {
    throw await localError(err, shown);
  }
  if (st.isDirectory) throw new Error(`Is a folder: "${shown}"`);
  if (!st.isFile) throw new Error(`Not a regular file: "${shown}" (a FIFO, socket or device)`);
}

/** True for an error of the file system (Deno's, or Node's with its `code`), not aft's own. */
export function isFsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return Object.values(Deno.errors).some((E) => err instanceof E) ||
    /^E[A-Z]+$/.test(String((err as { code?: unknown }).code));
}

/** A file system error of an operation on the script's local `path`, in the disk VFS's words. */
export async function localError(err: unknown, path: string): Promise<Error> {
  const { mapDiskError } = await import("../../../vfs/disk/disk.ts");
  return mapDiskError(err, path);
}
