// Expiration distribution of a record stream: per set, how many records never
// expire, are already past their void-time, or expire within 1 h, 1 d, 7 d,
// 30 d, 1 y or later, measured from an injected `now` (seconds since the
// citrusleaf epoch). Memory is bounded by sets x distinct hours, never by
// the record count.
import { nameToString } from '../name.js'
import type { Name } from '../types.js'

export const BUCKETS = ['never', 'expired', '1h', '1d', '7d', '30d', '1y', 'later'] as const
export type Bucket = typeof BUCKETS[number]

export const BUCKET_LABELS: { [b in Bucket]: string } = {
  never: 'no expiration',
  expired: 'past void-time',
  '1h': 'within 1 h',
  '1d': 'within 1 d',
  '7d': 'within 7 d',
  '30d': 'within 30 d',
  '1y': 'within 1 y',
  later: 'later'
}

const HOUR = 3600
const DAY = 86400
const LIMITS: Array<[Bucket, number]> = [['1h', HOUR], ['1d', DAY], ['7d', 7 * DAY], ['30d', 30 * DAY], ['1y', 365 * DAY]]

/** The bucket of one void-time at `now` (both seconds since 2010-01-01). */
export function bucketOf (voidTime: number, now: number): Bucket {
  if (voidTime === 0) return 'never'
  const left = voidTime - now
  if (left <= 0) return 'expired'
  for (const [b, limit] of LIMITS) if (left <= limit) return b
  return 'later'
}

export type Counts = { [b in Bucket]: number }

export function emptyCounts (): Counts {
  return { never: 0, expired: 0, '1h': 0, '1d': 0, '7d': 0, '30d': 0, '1y': 0, later: 0 }
}

export interface SetDistribution {
  /** Set name ('' = records without a set). */
  set: string
  records: number
  counts: Counts
  /** Records still to expire (after now), by hours left (ceil): the eviction order. */
  hours: Map<number, number>
  /** Earliest and latest void-time of records with a TTL (0 when none). */
  minVoidTime: number
  maxVoidTime: number
}

export class Distribution {
  readonly now: number
  readonly sets = new Map<string, SetDistribution>()
  records = 0
  /** Namespaces seen in the stream. */
  readonly namespaces = new Set<string>()

  constructor (now: number) {
    this.now = now
  }

  add (namespace: Name, set: Name | null, voidTime: number): void {
    this.records++
    const ns = typeof namespace === 'string' ? namespace : nameToString(namespace)
    if (!this.namespaces.has(ns)) this.namespaces.add(ns)
    const name = set === null ? '' : typeof set === 'string' ? set : nameToString(set)
    let d = this.sets.get(name)
    if (d === undefined) {
      d = { set: name, records: 0, counts: emptyCounts(), hours: new Map(), minVoidTime: 0, maxVoidTime: 0 }
      this.sets.set(name, d)
    }
    d.records++
    const b = bucketOf(voidTime, this.now)
    d.counts[b]++
    if (voidTime !== 0) {
      if (d.minVoidTime === 0 || voidTime < d.minVoidTime) d.minVoidTime = voidTime
      if (voidTime > d.maxVoidTime) d.maxVoidTime = voidTime
      if (b !== 'expired') {
        const h = Math.ceil((voidTime - this.now) / HOUR)
        d.hours.set(h, (d.hours.get(h) ?? 0) + 1)
      }
    }
  }

  /** Counts over all sets. */
  total (): Counts {
    const t = emptyCounts()
    for (const d of this.sets.values()) for (const b of BUCKETS) t[b] += d.counts[b]
    return t
  }

  /** Sets sorted by name ('' first). */
  list (): SetDistribution[] {
    return [...this.sets.values()].sort((a, b) => a.set < b.set ? -1 : a.set > b.set ? 1 : 0)
  }
}

/** Records with a TTL (all buckets but `never`). */
export function withTtl (c: Counts): number {
  let n = 0
  for (const b of BUCKETS) if (b !== 'never') n += c[b]
  return n
}
