// as-ttl-audit's two inputs: a live namespace (a metadata-only partition scan,
// no bins) or a backup token stream (.asb or NDJSON, already decoded), each
// folded into a Distribution (and, for a backup, a RestoreCounter).
import type { Cluster } from '../client/cluster.js'
import { createPartitionScan } from '../client/scan.js'
import { buildSelectionExpression } from '../scan/expression.js'
import type { Record, Token } from '../types.js'
import { Distribution } from './distribution.js'
import { RestoreCounter } from './findings.js'

export interface LiveScanOptions {
  namespace: string
  /** Only these sets (none = all). */
  sets?: string[]
  socketTimeoutMs?: number
  totalTimeoutMs?: number
  maxRetries?: number
  retryDelayMs?: number
  /** Called every 100000 records with the count so far. */
  onProgress?: (records: number) => void
}

/** Scans the namespace's metadata (void-times, sets; no bins) into a Distribution at `now`. */
export async function scanDistribution (cluster: Cluster, o: LiveScanOptions, now: number, restore?: RestoreCounter): Promise<Distribution> {
  const d = new Distribution(now)
  const sets = o.sets ?? []
  const scan = createPartitionScan(cluster, {
    namespace: o.namespace,
    set: sets.length === 1 ? sets[0]! : null,
    filterExpression: buildSelectionExpression({ sets }) ?? undefined,
    noBins: true,
    socketTimeoutMs: o.socketTimeoutMs,
    totalTimeoutMs: o.totalTimeoutMs,
    maxRetries: o.maxRetries,
    retryDelayMs: o.retryDelayMs,
    parallel: Math.max(1, cluster.nodes.length)
  })
  for await (const rec of scan as AsyncIterable<Record>) {
    d.add(rec.namespace, rec.set, rec.voidTime)
    restore?.add(rec.voidTime)
    if (o.onProgress !== undefined && d.records % 100000 === 0) o.onProgress(d.records)
  }
  return d
}

export interface BackupAudit {
  distribution: Distribution
  restore: RestoreCounter
  /** The namespace of the header or the first record, or null for an empty stream. */
  namespace: string | null
}

/** Folds a decoded backup into a Distribution and what a restore at `now` (+ extraTtl) would do. */
export async function backupDistribution (tokens: AsyncIterable<Token>, now: number, extraTtl: number, sets: string[] = []): Promise<BackupAudit> {
  const d = new Distribution(now)
  const r = new RestoreCounter(now, extraTtl)
  let namespace: string | null = null
  const want = sets.length > 0 ? new Set(sets) : null
  for await (const t of tokens) {
    if (t.kind === 'header') {
      if (namespace === null && t.namespace !== null) namespace = String(t.namespace)
      continue
    }
    if (t.kind !== 'record') continue
    if (want !== null && (t.set === null || !want.has(String(t.set)))) continue
    if (namespace === null) namespace = String(t.namespace)
    d.add(t.namespace, t.set, t.voidTime)
    r.add(t.voidTime)
  }
  return { distribution: d, restore: r, namespace }
}
