/**
 * Memory a transfer frees, kept by the C allocator for the next buffers instead of handed back
 * to the system at once (Linux with glibc; elsewhere a no-op).
 *
 * A download hands every chunk it reads from the socket on in memory of its own (see
 * `sftp/deno_socket.ts`), so it allocates as many bytes as it moves. glibc's defaults return
 * freed memory to the system quickly: buffers of 128 KiB and more are mapped and unmapped one by
 * one until its threshold adapts, and free memory at the top of the heap is given back beyond
 * 128 KiB. Each new buffer then lands on pages the kernel must fault in and zero, on the thread
 * that deciphers: a 256 MiB SFTP download through `node:net` took 18,600 to 28,000 page faults,
 * those in `recv` alone about 7% of its main thread's samples (`perf`); through
 * `sftp/deno_socket.ts` with the limits below, 12,500 to 19,000.
 *
 * {@linkcode keepFreedMemory} raises those limits for the rest of the process (glibc's `mallopt`:
 * {@linkcode TRIM_THRESHOLD}, {@linkcode TOP_PAD}, {@linkcode MMAP_THRESHOLD}). Memory is still
 * freed, only kept for reuse: a process's peak does not grow, but its resident size after a
 * transfer would stay near that peak. So each caller says when it is done, and
 * {@linkcode RELEASE_AFTER_MS} after the last one is, `malloc_trim` gives the free part back
 * (a runner process kept for the next job shrinks). That takes a while (33 ms after 2,000
 * small files, in a CPU profile), so it is not done at once, and the timer does not keep a
 * process alive: `aft run` exits without it.
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

/** How long after the last user is done the free memory is given back. */
export const RELEASE_AFTER_MS = 2000;

let kept = false;
let users = 0;
let release: ReturnType<typeof setTimeout> | undefined;

/** Sets the limits, once per process; answers whether they are set. */
function raiseLimits(): boolean {
  if (kept) return true;
  const c = glibc();
  if (!c) return false;
  kept = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) === 1 &&
    c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) === 1 &&
    c.mallopt(M_TOP_PAD, TOP_PAD) === 1;
  return kept;
}

/** What {@linkcode keepFreedMemory} answers. */
export interface KeptMemory {
  /** Whether the allocator's limits are raised (Linux with glibc). */
  readonly kept: boolean;
  /** The caller is done (only the first call counts). */
  done(): void;
}

/** Keeps freed memory for reuse until this and every other caller is done. */
export function keepFreedMemory(): KeptMemory {
  if (!raiseLimits()) return { kept: false, done() {} };
  users++;
  clearTimeout(release);
  let ended = false;
  return {
    kept: true,
    done() {
      if (ended) return;
      ended = true;
      if (--users > 0) return;
      const timer = setTimeout(() => glibc()?.malloc_trim(0n), RELEASE_AFTER_MS);
      Deno.unrefTimer(timer);
      release = timer;
    },
  };
}
