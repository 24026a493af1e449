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

/**
 * Result codes are the server's, or negative client-side codes:
 * CLIENT_RETRY (-8) when the request may not have reached the server
 * (connection lost, node unreachable, timeout: re-sent), CLIENT_ERROR (-1)
 * for a client failure retrying cannot fix.
 */
export interface RecordWriter {
  /** Batch-index write; one result code per item, in order. Rejects only when the call as a whole failed. */
  writeBatch: (items: WriteItem[]) => Promise<number[]>
  /** One single-record write; its result code. */
  writeOne: (item: WriteItem) => Promise<number>
}
