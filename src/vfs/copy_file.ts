/**
 * `Deno.copyFile` that a halt ends at once. The kernel's copy (`copy_file_range`, as `cp`
 * does) cannot be stopped once it runs: of a multi-GB file it ran on after a halt, past the
 * job's grace period, until the runner was killed with the temporary file half written, left
 * until the next copy into that folder. Here an abort removes the target at once and throws;
 * the copy still under way writes on into a file no folder holds any more, whose space the
 * system frees when that copy ends (or the process does).
 *
 * @example
 * ```ts
 * await copyFileAbortable("/data/in/big.iso", "/data/out/.big.iso.aft-….tmp", signal);
 * ```
 * @module
 */

/** Copies `from` to `to` as `Deno.copyFile`; when `signal` aborts, removes `to` and throws. */
export async function copyFileAbortable(
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<void> {
  if (!signal) return await Deno.copyFile(from, to);
  signal.throwIfAborted();
  const copying = Deno.copyFile(from, to);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([copying, aborted]);
  } catch (err) {
    if (!signal.aborted) throw err;
    copying.catch(() => {}); // ends on its own; its outcome is of no use now
    const removed = await Deno.remove(to).then(() => true, () => false);
    // Not there yet: the copy had not made it. Once the copy ends it is removed after all.
    if (!removed) void copying.finally(() => Deno.remove(to).catch(() => {})).catch(() => {});
    throw err;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
