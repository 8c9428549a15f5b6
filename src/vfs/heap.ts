/**
 * Memory a transfer frees, kept by the C allocator for the next buffers instead of handed back
 * to the system at once (Linux with glibc; elsewhere a no-op).
 *
 * A download hands every chunk it reads from the socket on in memory of its own (see
 * `sftp/deno_socket.ts`), so it allocates as many bytes as it moves. glibc's defaults return
 * freed memory to the system quickly: buffers of 128 KiB and more are mapped and unmapped one by
 * one until its threshold adapts, and free memory at the top of the heap is given back beyond
 * 128 KiB. Each new buffer then lands on pages the kernel must fault in and zero, on the thread
 * that deciphers: a 256 MiB SFTP download took 19,000 to 26,000 page faults, and `perf` put
 * about a quarter of its main thread's kernel time in them.
 *
 * {@linkcode keepFreedMemory} raises those limits for the rest of the process (glibc's `mallopt`:
 * {@linkcode TRIM_THRESHOLD}, {@linkcode TOP_PAD}, {@linkcode MMAP_THRESHOLD}). Memory is still
 * freed, only kept for reuse: a process's peak does not grow, but its resident size after a
 * transfer stays near that peak until {@linkcode releaseFreedMemory} (`malloc_trim`) gives the
 * free part back, which the SFTP backend does when its last connection closes.
 *
 * @module
 */

/** Free memory at the heap's top kept rather than given back (glibc's default: 128 KiB). */
export const TRIM_THRESHOLD = 256 * 1024 * 1024;
/** Extra memory asked of the system each time the heap grows (glibc's default: 128 KiB). */
export const TOP_PAD = 16 * 1024 * 1024;
/** Allocations below this come from the heap, not a mapping of their own (default 128 KiB). */
export const MMAP_THRESHOLD = 16 * 1024 * 1024;

// mallopt parameters (malloc.h).
const M_TRIM_THRESHOLD = -1;
const M_TOP_PAD = -2;
const M_MMAP_THRESHOLD = -3;

const SYMBOLS = {
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | null | undefined;

function glibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux" || Deno.env.get("AFT_KEEP_FREED") === "0") return null;
  try {
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch { /* musl, or no FFI permission: the allocator's defaults stay */ }
  return libc;
}

let kept = false;

/**
 * Keeps freed memory for reuse from now on (once per process). Answers whether the limits
 * were raised.
 */
export function keepFreedMemory(): boolean {
  if (kept) return true;
  const c = glibc();
  if (!c) return false;
  kept = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) === 1 &&
    c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) === 1 &&
    c.mallopt(M_TOP_PAD, TOP_PAD) === 1;
  return kept;
}

/** Gives the heap's free memory back to the system (after {@linkcode keepFreedMemory}). */
export function releaseFreedMemory(): void {
  if (kept) glibc()?.malloc_trim(0n);
}
