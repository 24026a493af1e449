// as-ttl-audit output: a per-set table with a histogram bar per bucket for
// the terminal, and one JSON document.
import { CITRUSLEAF_EPOCH } from '../types.js'
import type { NamespaceConfig } from './config.js'
import { BUCKETS, BUCKET_LABELS, withTtl, type Distribution } from './distribution.js'
import type { Finding, RestoreCounter } from './findings.js'

export interface AuditReport {
  source: 'live' | 'backup'
  namespace: string | null
  distribution: Distribution
  config: NamespaceConfig | null
  target: NamespaceConfig | null
  restore: RestoreCounter | null
  findings: Finding[]
}

export function isoAt (clepoch: number): string {
  return new Date((clepoch + CITRUSLEAF_EPOCH) * 1000).toISOString().replace('.000Z', 'Z')
}

const BAR = 40

/** The terminal report: a histogram per set (and in total), then the findings. */
export function reportText (r: AuditReport): string {
  const d = r.distribution
  const lines: string[] = []
  lines.push(`${r.source === 'live' ? 'Namespace' : 'Backup of namespace'} ${r.namespace ?? '?'}: ${d.records} record(s) in ${d.sets.size} set(s), at ${isoAt(d.now)}`)
  const groups = [...d.list().map(s => ({ name: s.set === '' ? '(no set)' : s.set, records: s.records, counts: s.counts })), ...(d.sets.size > 1 ? [{ name: 'all sets', records: d.records, counts: d.total() }] : [])]
  const labelWidth = Math.max(...BUCKETS.map(b => BUCKET_LABELS[b].length))
  for (const g of groups) {
    lines.push('')
    lines.push(`${g.name}: ${g.records} record(s), ${withTtl(g.counts)} with a TTL`)
    const max = Math.max(1, ...BUCKETS.map(b => g.counts[b]))
    for (const b of BUCKETS) {
      const n = g.counts[b]
      const bar = '#'.repeat(n === 0 ? 0 : Math.max(1, Math.round(BAR * n / max)))
      lines.push(`  ${BUCKET_LABELS[b].padEnd(labelWidth)} ${String(n).padStart(10)} ${(g.records === 0 ? 0 : 100 * n / g.records).toFixed(1).padStart(5)}% ${bar}`.trimEnd())
    }
  }
  lines.push('')
  if (r.findings.length === 0) lines.push('No findings.')
  for (const f of r.findings) lines.push(`${f.severity.toUpperCase()}: ${f.message}`)
  return lines.join('\n') + '\n'
}

function configJson (c: NamespaceConfig | null): object | null {
  if (c === null) return null
  return c
}

export function reportJson (r: AuditReport): object {
  const d = r.distribution
  return {
    source: r.source,
    namespace: r.namespace,
    at: isoAt(d.now),
    now: d.now,
    records: d.records,
    total: d.total(),
    sets: d.list().map(s => ({ set: s.set === '' ? null : s.set, records: s.records, counts: s.counts, minVoidTime: s.minVoidTime, maxVoidTime: s.maxVoidTime })),
    config: configJson(r.config),
    target: configJson(r.target),
    restore: r.restore === null ? null : { now: r.restore.now, extraTtl: r.restore.extraTtl, never: r.restore.never, withTtl: r.restore.withTtl, expired: r.restore.expired, tooLong: r.restore.tooLong },
    findings: r.findings
  }
}
