// Scan jobs the way asbackup cuts them (backup.c:start_backup,
// backup_status.c:calc_node_list_partitions): one job per partition filter,
// or, with a single range, that range split into --parallel equal parts.
import { MAX_PARTITIONS, type PartitionFilter } from './parse.js'

export interface JobPlan {
  jobs: PartitionFilter[]
  /** Number of concurrent workers (never more than jobs). */
  threads: number
}

/**
 * `filters` empty means the whole namespace. With at most one filter the range
 * is split: `begin_i = B + C*i/n`, `count_i = B + C*(i+1)/n - begin_i`
 * (integer arithmetic); a digest filter (count 1) is never split. With several
 * filters there is one job per filter and `n = min(n, #filters)`.
 */
export function planJobs (filters: PartitionFilter[], parallel: number): JobPlan {
  if (filters.length <= 1) {
    const range = filters[0] ?? { begin: 0, count: MAX_PARTITIONS }
    const n = Math.max(1, Math.min(parallel, range.count))
    if (n <= 1 || range.digest !== undefined) return { jobs: [range], threads: 1 }
    const jobs: PartitionFilter[] = []
    const { begin: B, count: C } = range
    for (let i = 0; i < n; i++) {
      const b = B + Math.floor((C * i) / n)
      const e = B + Math.floor((C * (i + 1)) / n)
      jobs.push({ begin: b, count: e - b })
    }
    return { jobs, threads: n }
  }
  return { jobs: filters.slice(), threads: Math.max(1, Math.min(parallel, filters.length)) }
}

/** Partition ids a filter covers. */
export function filterPartitions (f: PartitionFilter): number[] {
  const out: number[] = []
  for (let p = f.begin; p < f.begin + f.count; p++) out.push(p)
  return out
}

/**
 * Contiguous range filters over the partitions whose master is one of
 * `wanted` (`masters[pid]` = master node name or null).
 */
export function nodeListFilters (masters: ReadonlyArray<string | null>, wanted: ReadonlySet<string>): PartitionFilter[] {
  const out: PartitionFilter[] = []
  let cur: PartitionFilter | null = null
  for (let pid = 0; pid < masters.length; pid++) {
    const m = masters[pid]
    if (m !== null && wanted.has(m)) {
      if (cur !== null) cur.count++
      else { cur = { begin: pid, count: 1 }; out.push(cur) }
    } else {
      cur = null
    }
  }
  return out
}

/** asbackup's job description: `partition N`, `C partitions from B to E`, `partition N after <b64>`, `whole namespace`. */
export function describeJob (f: PartitionFilter): string {
  if (f.digest !== undefined) return `partition ${f.begin} after ${f.digest.toString('base64')}`
  if (f.begin === 0 && f.count === MAX_PARTITIONS) return 'whole namespace'
  if (f.count === 1) return `partition ${f.begin}`
  return `${f.count} partitions from ${f.begin} to ${f.begin + f.count - 1}`
}

/** Per-job scan limits as asbackup sets them (backup_status_set_n_threads). */
export function perJobLimits (maxRecords: number, rps: number, nJobs: number, nThreads: number): { maxRecords: number, recordsPerSecond: number } {
  const max = maxRecords > 0 ? Math.ceil(maxRecords / nJobs) : 0
  let r = Math.floor(rps / nThreads)
  if (r === 0 && rps > 0) r = 1
  return { maxRecords: max, recordsPerSecond: r }
}
