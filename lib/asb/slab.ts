// Small value buffers carved from a shared slab, as Buffer.allocUnsafe does
// from its 8 KiB pool but without its argument checks and pool bookkeeping:
// the .asb decoder makes several small Buffers per record (digest, strings,
// blobs) and their creation was a tenth of decode time
// (bench/asb/codec.bench.ts). A view keeps its slab alive, as a pooled
// Buffer keeps its pool: 16 KiB, so a retained value pins little.

const SLAB_BYTES = 16 * 1024
/** Larger values get their own Buffer. */
const SLAB_MAX = 1024

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let off = 0

/** An uninitialised Buffer of n bytes (n >= 0), possibly a view of a shared slab. */
export function slabAlloc (n: number): Buffer {
  if (n > SLAB_MAX) return Buffer.allocUnsafe(n)
  if (off + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    off = 0
  }
  const b = slab.subarray(off, off + n)
  off = (off + n + 7) & ~7
  return b
}
