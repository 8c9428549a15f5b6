/**
 * Memory a transfer frees, kept by the C allocator for the next buffers instead of handed back
 * to the system at once (Linux with glibc; elsewhere a no-op).
 *
 * A download hands every chunk it reads from the socket on in memory of its own (see
 * `sftp/ssh/transport.ts`), so it allocates as many bytes as it moves. glibc's defaults return
 * freed memory to the system quickly: buffers of 128 KiB and more are mapped and unmapped one by
 * one until its threshold adapts, and free memory at the top of the heap is given back beyond
 * 128 KiB. Each new buffer then lands on pages the kernel must fault in and zero, on the thread
 * that deciphers: a 256 MiB SFTP download through `node:net` took 18,600 to 28,000 page faults,
 * those in `recv` alone about 7% of its main thread's samples (`perf`); through
 * `Deno.connect` with the limits below (the SFTP client of then), 12,500 to 19,000.
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
 * Where the kernel gives huge pages only to memory that asks for them (transparent huge pages
 * in `madvise` mode, Debian's default), the heap is also grown ahead by {@linkcode HUGE_SPAN}
 * marked `MADV_HUGEPAGE` before anything touches it, as glibc's `glibc.malloc.hugetlb=1`
 * tunable would (which only an environment variable at the process's start can set): the
 * transfer's buffers then land on 2 MiB pages, one fault each instead of 512. A 256 MiB SFTP
 * download's data in one process, 2026-12-04: a median 541 ms (475 to 650) against 564 (541
 * to 677) without, peak RSS 97 to 118 MiB against 96 to 115 (eight alternating rounds, the
 * code of then); on the code with the direct hand-off (`../direct.ts`), 2,300 to 3,000 page
 * faults against 11,000 to 13,900 and a median 466 ms against 608 (six rounds). Memory is
 * resident only where touched, as before, in 2 MiB steps. `AFT_HUGE_PAGES=0` leaves it out.
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
// madvise advice (asm-generic/mman-common.h).
const MADV_HUGEPAGE = 14;

/** How far the heap is grown ahead on huge pages when a transfer starts. */
export const HUGE_SPAN = 64 * 1024 * 1024;
/** The blocks allocated (and freed at once) to make the heap grow. */
const GROW_BLOCK = 8 * 1024 * 1024;

const SYMBOLS = {
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  malloc_trim: { parameters: ["usize"], result: "i32" },
  malloc: { parameters: ["usize"], result: "pointer" },
  free: { parameters: ["pointer"], result: "void" },
  sbrk: { parameters: ["isize"], result: "pointer" },
  madvise: { parameters: ["pointer", "usize", "i32"], result: "i32" },
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

/**
 * The size of a huge page when the kernel gives them only to memory marked for them
 * (`madvise` mode); undefined otherwise (`always`: all memory gets them anyway; `never`).
 */
function hugePageSize(): number | undefined {
  if (Deno.env.get("AFT_HUGE_PAGES") === "0") return undefined;
  try {
    const dir = "/sys/kernel/mm/transparent_hugepage";
    if (!Deno.readTextFileSync(`${dir}/enabled`).includes("[madvise]")) return undefined;
    const size = Number(Deno.readTextFileSync(`${dir}/hpage_pmd_size`).trim());
    return Number.isSafeInteger(size) && size > 0 ? size : undefined;
  } catch {
    return undefined; // no such files (an older kernel, a container without /sys)
  }
}

/** Whether the heap's top is grown ahead on huge pages (until the next `malloc_trim`). */
let grown = false;

/**
 * Grows the heap by about {@linkcode HUGE_SPAN} and marks the new memory `MADV_HUGEPAGE`
 * before it is touched: blocks are allocated (the allocator writes only their headers) while
 * the top pad asks for the span, the untouched part past the old end is marked, and the blocks
 * are freed into the heap's top, where the next buffers come from. A 2 MiB range that has had
 * a page touched keeps small pages, hence the mark starts a page past the old end.
 */
function growOnHugePages(c: Libc): void {
  if (grown) return;
  grown = true;
  const page = hugePageSize();
  if (page === undefined) return;
  const end = () => Number(Deno.UnsafePointer.value(c.sbrk(0n)));
  const start = end();
  const blocks: Deno.PointerValue[] = [];
  c.mallopt(M_TOP_PAD, HUGE_SPAN);
  try {
    // The heap grows once a block does not fit in its free top; a heap that cannot grow
    // (its end against a mapping) is served by mappings, and the loop gives up.
    while (end() === start && blocks.length < 2 * HUGE_SPAN / GROW_BLOCK) {
      const b = c.malloc(BigInt(GROW_BLOCK));
      if (b === null) break;
      blocks.push(b);
    }
    const from = Math.ceil((start + 4096) / page) * page;
    const to = Math.floor(end() / page) * page;
    if (to > from) {
      c.madvise(Deno.UnsafePointer.create(BigInt(from)), BigInt(to - from), MADV_HUGEPAGE);
    }
  } finally {
    c.mallopt(M_TOP_PAD, TOP_PAD);
    for (const b of blocks) c.free(b);
  }
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
  growOnHugePages(glibc()!);
  let ended = false;
  return {
    kept: true,
    done() {
      if (ended) return;
      ended = true;
      if (--users > 0) return;
      const timer = setTimeout(() => {
        glibc()?.malloc_trim(0n);
        grown = false; // the heap's top went back to the system
      }, RELEASE_AFTER_MS);
      Deno.unrefTimer(timer);
      release = timer;
    },
  };
}
