// Void-time -> relative TTL at write time (asb-format.md §2;
// dec_text.c:text_parse_expiration). All arithmetic is uint32, as in C.
import { CITRUSLEAF_EPOCH } from '../types.js'

/** The TTL a write sends for "never expires" (0xFFFFFFFF on the wire). */
export const TTL_NEVER = -1

export type RestoreTtl = { expired: true } | { expired: false, ttl: number }

/** Seconds since the citrusleaf epoch for a Unix time in milliseconds (cf_secs_since_clepoch). */
export function clepochNow (unixMs: number): number {
  return Math.floor(unixMs / 1000) - CITRUSLEAF_EPOCH
}

/**
 * voidTime 0 stays never-expiring (extra-ttl not applied). Otherwise
 * `voidTime + extraTtl` is compared with now: at or past it the record is
 * expired (not written, counted), else the remaining seconds are the TTL.
 */
export function restoreTtl (voidTime: number, nowClepoch: number, extraTtl = 0): RestoreTtl {
  if (voidTime === 0) return { expired: false, ttl: TTL_NEVER }
  const val = (voidTime + extraTtl) >>> 0
  const now = nowClepoch >>> 0
  if (now >= val) return { expired: true }
  return { expired: false, ttl: (val - now) >>> 0 }
}
