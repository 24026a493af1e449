// What the distribution and the configuration mean for retention: each
// finding has a severity and the numbers behind it.
import { restoreTtl } from '../restore/ttl.js'
import type { NamespaceConfig } from './config.js'
import { BUCKETS, BUCKET_LABELS, withTtl, type Bucket, type Distribution } from './distribution.js'

export type Severity = 'info' | 'warning' | 'error'
export const SEVERITIES: Severity[] = ['info', 'warning', 'error']

export function severityRank (s: Severity): number { return SEVERITIES.indexOf(s) }

export interface Finding {
  code: string
  severity: Severity
  message: string
  /** The numbers behind the message. */
  data: { [k: string]: unknown }
}

/** The largest TTL a write may carry (10 years; wire-protocol.md §3.2). */
export const MAX_TTL = 315360000

/** What restoring the stream at `now` with `extraTtl` does to each record (asb-format.md §2). */
export class RestoreCounter {
  readonly now: number
  readonly extraTtl: number
  never = 0
  withTtl = 0
  expired = 0
  /** TTL beyond 10 years after --extra-ttl: the server answers 4 (parameter error). */
  tooLong = 0

  constructor (now: number, extraTtl: number) {
    this.now = now
    this.extraTtl = extraTtl
  }

  add (voidTime: number): void {
    const r = restoreTtl(voidTime, this.now, this.extraTtl)
    if (r.expired) this.expired++
    else if (r.ttl === -1) this.never++
    else {
      this.withTtl++
      if (r.ttl > MAX_TTL) this.tooLong++
    }
  }
}

export interface AuditInput {
  distribution: Distribution
  /** Config of the audited namespace (live input, or a backup with a cluster to compare). */
  config: NamespaceConfig | null
  /** --target-namespace: where the backup would be restored. */
  target: NamespaceConfig | null
  /** Backup input: what a restore at --at would do. */
  restore: RestoreCounter | null
  source: 'live' | 'backup'
}

function pct (a: number, b: number): string {
  return b === 0 ? '0' : (100 * a / b).toFixed(1)
}

function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** Records whose TTL has not run out, by set, that eviction may remove (sets not protected). */
function evictionOrder (d: Distribution, cfg: NamespaceConfig): Finding[] {
  const out: Finding[] = []
  const protectedSets = new Set(cfg.sets.filter(s => s.disableEviction).map(s => s.set))
  const hours = new Map<number, Map<string, number>>()
  let evictable = 0
  for (const s of d.sets.values()) {
    if (protectedSets.has(s.set)) continue
    for (const [h, n] of s.hours) {
      evictable += n
      const m = hours.get(h) ?? new Map<string, number>()
      m.set(s.set, (m.get(s.set) ?? 0) + n)
      hours.set(h, m)
    }
  }
  const evictOn = cfg.evictUsedPct > 0 || cfg.evictMemoryPct > 0
  const thresholds = { evictUsedPct: cfg.evictUsedPct, evictMemoryPct: cfg.evictMemoryPct, stopWritesUsedPct: cfg.stopWritesUsedPct, usedPct: cfg.usedPct }
  if (!evictOn) {
    out.push({
      code: 'eviction-off',
      severity: 'info',
      message: `eviction is off (evict-used-pct and evict-sys-memory-pct are 0): when storage reaches ${cfg.stopWritesUsedPct}% used, writes stop instead`,
      data: thresholds
    })
    return out
  }
  if (cfg.stopWritesUsedPct > 0 && cfg.evictUsedPct >= cfg.stopWritesUsedPct) {
    out.push({
      code: 'stop-writes-before-eviction',
      severity: 'warning',
      message: `the eviction threshold (${cfg.evictUsedPct}% used) is at or above stop-writes (${cfg.stopWritesUsedPct}%): writes stop before eviction starts`,
      data: thresholds
    })
  }
  const storageOver = cfg.usedPct !== null && cfg.evictUsedPct > 0 && cfg.usedPct >= cfg.evictUsedPct
  const memoryOver = cfg.memoryUsedPct !== null && cfg.evictMemoryPct > 0 && cfg.memoryUsedPct >= cfg.evictMemoryPct
  if (cfg.hwmBreached || storageOver || memoryOver) {
    const why = storageOver
      ? `storage is ${cfg.usedPct ?? '?'}% used, at or above the eviction threshold ${cfg.evictUsedPct}%`
      : memoryOver ? `memory is ${cfg.memoryUsedPct ?? '?'}% used, at or above the eviction threshold ${cfg.evictMemoryPct}%` : 'the server reports hwm_breached'
    out.push({
      code: 'eviction-active',
      severity: 'warning',
      message: `${why}: records are being evicted`,
      data: { ...thresholds, memoryUsedPct: cfg.memoryUsedPct, hwmBreached: cfg.hwmBreached }
    })
  }
  const total = d.records
  if (evictable === 0) {
    out.push({
      code: 'eviction-cannot-free',
      severity: total > 0 ? 'warning' : 'info',
      message: `eviction is on but no record can be evicted (none has a TTL outside protected sets): at ${cfg.stopWritesUsedPct}% used writes stop`,
      data: { ...thresholds, records: total, evictable }
    })
    return out
  }
  // one nsup round evicts at most evict-tenths-pct/10 % of the namespace's records, nearest void-times first
  const perRound = Math.max(1, Math.floor(total * cfg.evictTenthsPct / 1000))
  let taken = 0
  let cutoffHours = 0
  const bySet = new Map<string, number>()
  for (const h of [...hours.keys()].sort((a, b) => a - b)) {
    if (taken >= perRound) break
    cutoffHours = h
    for (const [set, n] of hours.get(h)!) {
      const take = Math.min(n, perRound - taken)
      bySet.set(set, (bySet.get(set) ?? 0) + take)
      taken += take
      if (taken >= perRound) break
    }
  }
  const buckets = new Map<Bucket, number>()
  for (const [h, m] of hours) {
    if (h > cutoffHours) continue
    let n = 0
    for (const v of m.values()) n += v
    const b: Bucket = h <= 1 ? '1h' : h <= 24 ? '1d' : h <= 168 ? '7d' : h <= 720 ? '30d' : h <= 8760 ? '1y' : 'later'
    buckets.set(b, (buckets.get(b) ?? 0) + n)
  }
  const setsText = [...bySet].map(([s, n]) => `${s === '' ? '(no set)' : s} ${n}`).join(', ')
  out.push({
    code: 'eviction-order',
    severity: 'info',
    message: `eviction removes the nearest-expiring records first: one round (evict-tenths-pct ${cfg.evictTenthsPct}) takes up to ${taken} of ${plural(evictable, 'evictable record')}, those expiring within ~${cutoffHours} h (${setsText})`,
    data: { ...thresholds, evictTenthsPct: cfg.evictTenthsPct, evictHistBuckets: cfg.evictHistBuckets, perRound: taken, evictable, cutoffHours, bySet: Object.fromEntries(bySet), buckets: Object.fromEntries(buckets) }
  })
  return out
}

function configFindings (d: Distribution, cfg: NamespaceConfig, role: 'namespace' | 'target'): Finding[] {
  const out: Finding[] = []
  const ns = cfg.namespace
  for (const dis of cfg.disagreements) {
    out.push({
      code: 'nodes-disagree',
      severity: 'warning',
      message: `${role === 'target' ? 'target ' : ''}namespace ${ns}: nodes disagree on ${dis.key}: ${Object.entries(dis.values).map(([n, v]) => `${n}=${v}`).join(', ')}`,
      data: { namespace: ns, key: dis.key, values: dis.values }
    })
  }
  const nsupOff = cfg.nsupPeriod === 0
  const defaults = [{ set: null as string | null, ttl: cfg.defaultTtl }, ...cfg.sets.filter(s => s.defaultTtl !== 0).map(s => ({ set: s.set as string | null, ttl: s.defaultTtl }))]
  for (const dt of defaults) {
    if (nsupOff && dt.ttl !== 0 && !cfg.allowTtlWithoutNsup) {
      out.push({
        code: 'default-ttl-without-nsup',
        severity: 'error',
        message: `namespace ${ns}${dt.set !== null ? ` set ${dt.set}` : ''}: default-ttl ${dt.ttl} with nsup-period 0 and allow-ttl-without-nsup false: the server refuses to start with this configuration`,
        data: { namespace: ns, set: dt.set, defaultTtl: dt.ttl, nsupPeriod: cfg.nsupPeriod, allowTtlWithoutNsup: cfg.allowTtlWithoutNsup }
      })
    }
  }
  if (role === 'target') return out
  if (cfg.stopWrites) {
    out.push({ code: 'stop-writes', severity: 'error', message: `namespace ${ns} is in stop-writes: writes fail`, data: { namespace: ns, usedPct: cfg.usedPct, stopWritesUsedPct: cfg.stopWritesUsedPct } })
  } else {
    const near: string[] = []
    if (cfg.usedPct !== null && cfg.stopWritesUsedPct > 0 && cfg.usedPct >= cfg.stopWritesUsedPct * 0.9) near.push(`storage ${cfg.usedPct}% used, stop-writes at ${cfg.stopWritesUsedPct}% (stop-writes-used-pct)`)
    if (cfg.availPct !== null && cfg.stopWritesAvailPct > 0 && cfg.availPct <= cfg.stopWritesAvailPct * 2) near.push(`storage ${cfg.availPct}% available, stop-writes at ${cfg.stopWritesAvailPct}% (stop-writes-avail-pct)`)
    if (cfg.memoryUsedPct !== null && cfg.stopWritesSysMemoryPct > 0 && cfg.memoryUsedPct >= cfg.stopWritesSysMemoryPct * 0.9) near.push(`memory ${cfg.memoryUsedPct}% used, stop-writes at ${cfg.stopWritesSysMemoryPct}% (stop-writes-sys-memory-pct)`)
    if (near.length > 0) {
      out.push({
        code: 'near-stop-writes',
        severity: 'warning',
        message: `namespace ${ns} is near stop-writes: ${near.join('; ')}`,
        data: { namespace: ns, usedPct: cfg.usedPct, stopWritesUsedPct: cfg.stopWritesUsedPct, availPct: cfg.availPct, stopWritesAvailPct: cfg.stopWritesAvailPct, memoryUsedPct: cfg.memoryUsedPct, stopWritesSysMemoryPct: cfg.stopWritesSysMemoryPct }
      })
    }
  }
  const total = d.total()
  const ttl = withTtl(total)
  if (nsupOff && ttl > 0) {
    out.push({
      code: 'nsup-off-ttl-records',
      severity: 'warning',
      message: `namespace ${ns}: ${plural(ttl, 'record')} carry a TTL but nsup-period is 0: expired records are never removed (${total.expired} already past their void-time)`,
      data: { namespace: ns, withTtl: ttl, expired: total.expired, nsupPeriod: 0 }
    })
  } else if (total.expired > 0) {
    out.push({
      code: 'expired-still-stored',
      severity: 'info',
      message: `namespace ${ns}: ${plural(total.expired, 'record')} are past their void-time (nsup-period ${cfg.nsupPeriod} s has not removed them yet)`,
      data: { namespace: ns, expired: total.expired, nsupPeriod: cfg.nsupPeriod }
    })
  }
  out.push(...evictionOrder(d, cfg))
  for (const s of cfg.sets) {
    if (s.stopWritesCount > 0) {
      const ratio = s.objects / s.stopWritesCount
      if (ratio >= 0.9) {
        out.push({
          code: 'set-stop-writes-count',
          severity: ratio >= 1 ? 'error' : 'warning',
          message: `set ${s.set}: ${s.objects} record(s) of stop-writes-count ${s.stopWritesCount} (${pct(s.objects, s.stopWritesCount)}%)${ratio >= 1 ? ': writes to the set fail' : ''}`,
          data: { set: s.set, objects: s.objects, stopWritesCount: s.stopWritesCount }
        })
      }
    }
    if (s.stopWritesSize > 0 && s.dataUsedBytes >= s.stopWritesSize * 0.9) {
      out.push({
        code: 'set-stop-writes-size',
        severity: s.dataUsedBytes >= s.stopWritesSize ? 'error' : 'warning',
        message: `set ${s.set}: ${s.dataUsedBytes} byte(s) of stop-writes-size ${s.stopWritesSize}`,
        data: { set: s.set, dataUsedBytes: s.dataUsedBytes, stopWritesSize: s.stopWritesSize }
      })
    }
    if (s.disableEviction) {
      const dist = d.sets.get(s.set)
      const t = dist === undefined ? 0 : withTtl(dist.counts)
      out.push({
        code: 'set-eviction-disabled',
        severity: 'info',
        message: `set ${s.set} is protected from eviction (disable-eviction true): ${plural(t, 'record')} with a TTL there are never evicted`,
        data: { set: s.set, objects: s.objects, withTtl: t }
      })
    }
  }
  return out
}

function restoreFindings (r: RestoreCounter, target: NamespaceConfig | null): Finding[] {
  const out: Finding[] = []
  const at = { now: r.now, extraTtl: r.extraTtl }
  if (r.expired > 0) {
    out.push({
      code: 'restore-skips-expired',
      severity: 'warning',
      message: `restoring this backup${target !== null ? ` into ${target.namespace}` : ''} would skip ${plural(r.expired, 'record')} already expired (at ${new Date((r.now + 1262304000) * 1000).toISOString().replace('.000Z', 'Z')}, extra-ttl ${r.extraTtl})`,
      data: { ...at, expired: r.expired }
    })
  }
  if (r.tooLong > 0) {
    out.push({
      code: 'restore-ttl-too-long',
      severity: 'error',
      message: `restoring with extra-ttl ${r.extraTtl} gives ${plural(r.tooLong, 'record')} a TTL over 10 years: the server rejects them (parameter error)`,
      data: { ...at, tooLong: r.tooLong, maxTtl: MAX_TTL }
    })
  }
  if (target !== null && target.nsupPeriod === 0 && !target.allowTtlWithoutNsup && r.withTtl > 0) {
    out.push({
      code: 'restore-ttl-forbidden',
      severity: 'error',
      message: `restoring this backup into ${target.namespace} would fail for ${plural(r.withTtl, 'record')}: they carry a TTL and ${target.namespace} has nsup-period 0 with allow-ttl-without-nsup false (FORBIDDEN, 22)`,
      data: { ...at, namespace: target.namespace, failing: r.withTtl, nsupPeriod: 0, allowTtlWithoutNsup: false }
    })
  }
  if (target !== null && target.nsupPeriod === 0 && target.allowTtlWithoutNsup && r.withTtl > 0) {
    out.push({
      code: 'restore-ttl-never-removed',
      severity: 'warning',
      message: `restoring into ${target.namespace} (nsup-period 0): ${plural(r.withTtl, 'record')} keep a TTL that nothing enforces`,
      data: { ...at, namespace: target.namespace, withTtl: r.withTtl }
    })
  }
  return out
}

/** All findings, most severe first. */
export function audit (input: AuditInput): Finding[] {
  const out: Finding[] = []
  if (input.config !== null) out.push(...configFindings(input.distribution, input.config, 'namespace'))
  else {
    const total = input.distribution.total()
    if (total.expired > 0) {
      out.push({
        code: 'expired-records',
        severity: 'info',
        message: `${plural(total.expired, 'record')} are past their void-time at ${new Date((input.distribution.now + 1262304000) * 1000).toISOString().replace('.000Z', 'Z')}`,
        data: { expired: total.expired, now: input.distribution.now }
      })
    }
  }
  if (input.target !== null) out.push(...configFindings(input.distribution, input.target, 'target'))
  if (input.restore !== null) out.push(...restoreFindings(input.restore, input.target))
  return out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity))
}

/** Exit status for --fail-on: 1 when a finding is at or above the level. */
export function failed (findings: Finding[], failOn: Severity): boolean {
  return findings.some(f => severityRank(f.severity) >= severityRank(failOn))
}

export { BUCKETS, BUCKET_LABELS }
