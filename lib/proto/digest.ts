// Record digest and partition id (wire-protocol.md §12, asb-format.md §1.9):
// digest = RIPEMD-160(set || key particle type || key bytes).
import { createHash } from 'node:crypto'
import { nameBytes } from '../name.js'
import type { Key, Name } from '../types.js'
import { keyBytes } from './particle.js'

export const DIGEST_SIZE = 20
export const N_PARTITIONS = 4096

export function computeDigest (set: Name | null, key: Key): Buffer {
  const h = createHash('ripemd160')
  if (set !== null) {
    const sb = nameBytes(set)
    if (sb.length > 0) h.update(sb)
  }
  h.update(Buffer.from([key.type]))
  h.update(keyBytes(key))
  return h.digest()
}

/** u16 LE of the first two digest bytes, mod 4096. */
export function partitionId (digest: Buffer): number {
  return (digest[0]! | (digest[1]! << 8)) & 0x0fff
}
