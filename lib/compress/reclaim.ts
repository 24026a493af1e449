// Bounded memory needs garbage buffers to be freed, not only unreferenced.
// A filter allocates one Buffer per chunk in and out; V8 frees their backing
// stores only when the small JS wrappers are collected, and with so few JS
// objects allocated that happens late (after ~64 MB of external memory).
// A minor GC every few MiB keeps that garbage at a few MiB: measured on a
// 107 MiB stream, peak RSS of `as-compress -d` fell from 97 MB to ~70 MB, for
// well under a millisecond per call.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Bytes of stream data between two reclaim() calls. */
export const RECLAIM_EVERY = 8 * 1024 * 1024

/**
 * A function running a young-generation GC, or undefined when this V8
 * refuses. Exposes `gc` process-wide: call it from a binary, not a library.
 */
export function minorGc (): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as ((opts?: { type: 'minor' | 'major' }) => void) | undefined
    if (typeof gc !== 'function') return undefined
    return () => { gc({ type: 'minor' }) }
  } catch {
    return undefined
  }
}

/**
 * Size of the one-off buffer primeAllocator() frees: 16 MiB, under glibc's
 * DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit), above which it has no effect.
 */
export const ALLOCATOR_PRIMER = 16 * 1024 * 1024

/**
 * Make glibc keep our stream buffers on its heap instead of mapping and
 * unmapping each one. Every chunk a filter handles is a fresh Buffer
 * (fs reads, cipher.update(), zstd output), and glibc serves blocks over
 * 128 KiB with mmap() and gives them back with munmap() (or trims the heap
 * top past 2x that): each new buffer then page-faults in all over again, and
 * the kernel's page zeroing cost more than the AES itself (257 MiB through
 * aes-256-ctr in 1 MiB updates: 0.19-0.24 s system time, 0.07 s user).
 * glibc raises both thresholds when an mmap()ed block is freed (its dynamic
 * mmap threshold): freeing one 16 MiB block sets them to 16 and 32 MiB, after
 * which freed buffers are reused without faults (same test: 0.01 s system).
 * Peak RSS does not grow: the live set is the same, it is only no longer
 * returned to the kernel between two GCs. Elsewhere than glibc this is one
 * harmless allocation. `gc` (minorGc()) frees the block now; without it the
 * next GC does.
 */
export function primeAllocator (gc: (() => void) | undefined): void {
  Buffer.allocUnsafeSlow(ALLOCATOR_PRIMER)
  gc?.()
}

/** Calls `fn` once every RECLAIM_EVERY bytes counted. */
export class Reclaimer {
  #since = 0
  readonly #fn: (() => void) | undefined

  constructor (fn: (() => void) | undefined) {
    this.#fn = fn
  }

  count (n: number): void {
    if (this.#fn === undefined) return
    this.#since += n
    if (this.#since >= RECLAIM_EVERY) {
      this.#since = 0
      this.#fn()
    }
  }
}
