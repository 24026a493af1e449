// The data-plane seam: what restore needs from a record writer. The real one
// (lib/restore/client-writer.ts) wraps lib/client; tests may pass their own.
import type { Record } from '../types.js'
import type { WritePolicy } from './policy.js'

export interface WriteItem {
  /** Already remapped and filtered. */
  record: Record
  /** Relative seconds, or -1 (TTL_NEVER) for never-expiring. */
  ttl: number
  policy: WritePolicy
  /** Send the user key (the record carried `+ k`); else digest only. */
  sendKey: boolean
}

/**
 * A failed call. `resultCode` is the server's code for the whole call when it
 * answered; absent for network errors and timeouts (always retried).
 */
export interface WriteCallError extends Error {
  resultCode?: number
}

export interface RecordWriter {
  /** One batch-index write call; resolves with one result code per item, in order. Rejects when the call as a whole failed. */
  writeBatch: (items: WriteItem[]) => Promise<number[]>
  /** One single-record write; resolves with its result code. Rejects on network errors/timeouts. */
  writeOne: (item: WriteItem) => Promise<number>
}
