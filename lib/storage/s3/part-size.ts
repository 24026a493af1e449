// Multipart part sizing under S3's limits: parts of 5 MiB..5 GiB (the last
// may be smaller), at most 10,000 parts, objects up to 5 TiB.
//
// Unknown input size: the part size doubles every 900 parts, starting at
// the minimum, capped at 5 GiB. With the 5 MiB floor, parts 1..9000 hold
// 900 x 5 MiB x (1+2+...+512) = 4.4 TiB and the 5 GiB parts after them the
// rest of S3's 5 TiB, well before part 10,000; a small backup keeps small
// parts (and small memory). (Doubling every 1,000 parts would top out at
// 4.88 TiB.)
// Known size (--expected-size): one size, computed once, the smallest
// MiB multiple >= the minimum that fits the object in 10,000 parts.
import { UsageError } from '../../errors.js'

export const MiB = 1024 * 1024
export const MIN_PART_SIZE = 5 * MiB
export const MAX_PART_SIZE = 5 * 1024 * MiB
export const MAX_PARTS = 10_000
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB
/** Parts per size step when the size is unknown. */
export const PARTS_PER_STEP = 900

/** Validate --s3-min-part-size (MiB, 5..5120) and return bytes. */
export function minPartSizeBytes (mib: number): number {
  if (!Number.isInteger(mib) || mib < 5 || mib > 5120) {
    throw new UsageError(`--s3-min-part-size: expected an integer number of MiB in 5..5120, got ${mib}`)
  }
  return mib * MiB
}

/** Returns partSize(partNumber) (1-based) for this upload. */
export function partSizer (minPartSize: number, expectedSize?: number, partsPerStep = PARTS_PER_STEP): (partNumber: number) => number {
  if (expectedSize !== undefined) {
    if (expectedSize > MAX_OBJECT_SIZE) throw new UsageError(`--expected-size: ${expectedSize} bytes exceeds S3's 5 TiB object limit`)
    const fit = Math.ceil(Math.ceil(expectedSize / MAX_PARTS) / MiB) * MiB
    const size = Math.min(MAX_PART_SIZE, Math.max(minPartSize, fit))
    return () => size
  }
  return (n) => Math.min(MAX_PART_SIZE, minPartSize * 2 ** Math.floor((n - 1) / partsPerStep))
}

/**
 * Parts in flight for part `n`: the configured concurrency while parts are at
 * their first size; as they grow, fewer (never below 2, never above the
 * setting), so memory stays near concurrency x first part size.
 */
export function partsInFlight (concurrency: number, firstPartSize: number, partSize: number): number {
  return Math.min(concurrency, Math.max(2, Math.floor(concurrency * firstPartSize / partSize)))
}
