// Restore counters (asb-format.md §9.5 restore_status.h). Every record parsed
// lands in exactly one of: expired, skipped, ignored, inserted, existed,
// fresher, failed (`failed` holds records lost to a fatal error, which ends the
// run; asrestore's printed "failed" is existed + fresher).

export class RestoreCounters {
  /** Every record parsed, including expired and skipped ones. */
  total = 0
  expired = 0
  /** Set not listed, or no bins left after --bin-list. */
  skipped = 0
  /** Permanent per-record errors (err_ignored). */
  ignored = 0
  inserted = 0
  existed = 0
  fresher = 0
  /** Records whose write ended in a fatal error (not an asrestore counter). */
  failed = 0
  /** Records that would have been written (--validate, --dry-run). */
  wouldWrite = 0
  /** Record writes decided but not yet answered (not a final state). */
  inFlight = 0
  retries = 0
  /** Index lines processed, including skipped and matched ones. */
  indexes = 0
  udfs = 0
  skippedIndexes = 0
  matchedIndexes = 0
  /** Input bytes consumed (for KiB/s, B/rec and percent). */
  bytes = 0

  /** The invariant every test checks: total = sum of the final states (+ in flight). */
  accounted (): number {
    return this.expired + this.skipped + this.ignored + this.inserted + this.existed + this.fresher + this.failed + this.wouldWrite + this.inFlight
  }

  toJSON (): { [k: string]: number } {
    return {
      total: this.total,
      expired: this.expired,
      skipped: this.skipped,
      err_ignored: this.ignored,
      inserted: this.inserted,
      existed: this.existed,
      fresher: this.fresher,
      failed: this.failed,
      would_write: this.wouldWrite,
      retries: this.retries,
      indexes: this.indexes,
      udfs: this.udfs,
      skipped_indexes: this.skippedIndexes,
      matched_indexes: this.matchedIndexes,
      bytes: this.bytes
    }
  }
}
