// In-memory records of one namespace, cluster-wide (every node of a test
// cluster sees the same data; partition ownership decides which node scans
// which partition). Records are keyed by digest within their partition.
import { CITRUSLEAF_EPOCH } from '../types.js'
import { N_PARTITIONS, partitionId } from '../proto/digest.js'

export interface StoredBin {
  particle: number
  value: Buffer
}

export interface StoredRecord {
  digest: Buffer
  /** Set name bytes, null for no set. */
  set: Buffer | null
  /** KEY field data as sent (particle type byte + key bytes), when stored. */
  key: Buffer | null
  /** latin1 view of the bin-name bytes -> bin (insertion order kept). */
  bins: Map<string, StoredBin>
  generation: number
  /** Seconds since 2010-01-01, 0 = never expires. */
  voidTime: number
  /** Last-update time, ms since the Unix epoch. */
  lutMs: number
}

export interface SetState {
  /** Records updated before this time (ms) are gone (truncate). */
  truncateLutMs: number
  /** Set config changed by `set-config:...;set=<set>` (disable-eviction, stop-writes-count, ...). */
  config?: Map<string, string>
}

/** Namespace configuration keys as `namespace/<ns>` / `get-config` report them, values as strings. */
export type NamespaceConfig = { [key: string]: string | number | boolean }

export function nowVoidSeconds (nowMs: number): number {
  return Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH
}

export class NamespaceStore {
  readonly name: string
  readonly config: Map<string, string>
  readonly partitions: Array<Map<string, StoredRecord>>
  readonly sets = new Map<string, SetState>()
  truncateLutMs = 0
  /** Set once any set was truncated: only then do reads look up the set's truncate time. */
  setTruncated = false

  constructor (name: string, config: Map<string, string>) {
    this.name = name
    this.config = config
    this.partitions = Array.from({ length: N_PARTITIONS }, () => new Map<string, StoredRecord>())
  }

  cfgNumber (key: string, dflt: number): number {
    const v = this.config.get(key)
    if (v === undefined) return dflt
    const n = Number(v)
    return Number.isFinite(n) ? n : dflt
  }

  cfgBool (key: string): boolean {
    return this.config.get(key) === 'true'
  }

  /** The live record, or undefined when missing, expired or truncated. Expired records are removed. */
  get (digest: Buffer, nowMs: number): StoredRecord | undefined {
    const part = this.partitions[partitionId(digest)]!
    const k = digest.toString('latin1')
    const rec = part.get(k)
    if (rec === undefined) return undefined
    if (!this.alive(rec, nowMs)) {
      part.delete(k)
      return undefined
    }
    return rec
  }

  alive (rec: StoredRecord, nowMs: number): boolean {
    if (rec.voidTime !== 0 && rec.voidTime <= nowVoidSeconds(nowMs)) return false
    if (rec.lutMs < this.truncateLutMs) return false
    if (rec.set !== null && this.setTruncated) {
      const s = this.sets.get(rec.set.toString('latin1'))
      if (s !== undefined && rec.lutMs < s.truncateLutMs) return false
    }
    return true
  }

  put (rec: StoredRecord): void {
    if (rec.set !== null) {
      const k = rec.set.toString('latin1')
      if (!this.sets.has(k)) this.sets.set(k, { truncateLutMs: 0 })
    }
    this.partitions[partitionId(rec.digest)]!.set(rec.digest.toString('latin1'), rec)
  }

  delete (digest: Buffer): boolean {
    return this.partitions[partitionId(digest)]!.delete(digest.toString('latin1'))
  }

  /** Live records of a partition in descending digest order (the server's scan order). */
  partitionDesc (pid: number, nowMs: number): StoredRecord[] {
    const part = this.partitions[pid]!
    // the map keys are the digests as latin1 strings: comparing them compares the bytes
    const keys: string[] = []
    for (const [k, rec] of part) {
      if (this.alive(rec, nowMs)) keys.push(k)
      else part.delete(k)
    }
    keys.sort()
    const out = new Array<StoredRecord>(keys.length)
    for (let i = 0; i < keys.length; i++) out[i] = part.get(keys[keys.length - 1 - i]!)!
    return out
  }

  /**
   * Live record count, optionally for one set (latin1 key) and only over the
   * partitions `holds` accepts (a node counts just the partitions it holds,
   * as a real node's `objects` does).
   */
  count (nowMs: number, set?: string, holds?: (pid: number) => boolean): number {
    let n = 0
    for (let pid = 0; pid < this.partitions.length; pid++) {
      if (holds !== undefined && !holds(pid)) continue
      for (const rec of this.partitions[pid]!.values()) {
        if (!this.alive(rec, nowMs)) continue
        if (set !== undefined && (rec.set === null || rec.set.toString('latin1') !== set)) continue
        n++
      }
    }
    return n
  }
}
