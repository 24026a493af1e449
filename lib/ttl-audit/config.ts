// Retention configuration of a namespace, read with info on every node:
// `namespace/<ns>` (config and statistics) and `sets/<ns>` (per-set config
// and counts). 8.x names first, the older names as fallbacks; values that
// differ between nodes are kept for a finding.
import { AsbError, ErrorCode } from '../errors.js'
import { parseInfoError, parseKeyValues as kv } from '../proto/info.js'

export type InfoAllFn = (command: string) => Promise<Map<string, string>>

/** Config keys compared across nodes (8.x names and the older ones). */
export const RETENTION_KEYS = [
  'nsup-period', 'default-ttl', 'allow-ttl-without-nsup', 'evict-tenths-pct', 'evict-hist-buckets',
  'storage-engine.evict-used-pct', 'evict-sys-memory-pct', 'stop-writes-sys-memory-pct',
  'storage-engine.stop-writes-used-pct', 'storage-engine.stop-writes-avail-pct',
  'high-water-disk-pct', 'high-water-memory-pct', 'stop-writes-pct', 'storage-engine.min-avail-pct'
] as const

export const SET_KEYS = ['disable-eviction', 'stop-writes-count', 'stop-writes-size', 'default-ttl'] as const

export interface SetConfig {
  set: string
  /** Cluster-wide count: Σ nodes / replication factor. */
  objects: number
  disableEviction: boolean
  stopWritesCount: number
  stopWritesSize: number
  /** Set-level default-ttl (7.0+), 0 = the namespace's. */
  defaultTtl: number
  /** Cluster-wide data bytes (Σ nodes / replication factor), when reported. */
  dataUsedBytes: number
}

export interface Disagreement {
  key: string
  /** node -> value */
  values: { [node: string]: string }
}

export interface NamespaceConfig {
  namespace: string
  nodes: string[]
  /** '8.x' when the storage-engine.* eviction names are reported, else 'legacy'. */
  names: '8.x' | 'legacy'
  objects: number
  replicationFactor: number
  nsupPeriod: number
  defaultTtl: number
  /** true on servers without the setting (before 4.9 TTLs were allowed without nsup). */
  allowTtlWithoutNsup: boolean
  evictTenthsPct: number
  evictHistBuckets: number
  /** Storage eviction threshold, % used (storage-engine.evict-used-pct, or high-water-disk-pct); 0 = off. */
  evictUsedPct: number
  /** Memory eviction threshold (evict-sys-memory-pct, or high-water-memory-pct); 0 = off. */
  evictMemoryPct: number
  /** Writes stop at this % of storage used (storage-engine.stop-writes-used-pct, or stop-writes-pct). */
  stopWritesUsedPct: number
  stopWritesAvailPct: number
  stopWritesSysMemoryPct: number
  /** Storage used now, % (data_used_pct, or device_used_pct), the fullest node; null if unknown. */
  usedPct: number | null
  /** Storage available, % (data_avail_pct, device_available_pct), the emptiest node; null if unknown. */
  availPct: number | null
  /**
   * Memory used, %, the fullest node, compared with the memory thresholds: on
   * 8.x system memory (100 - statistics system_free_mem_pct), on older
   * servers the namespace's memory (100 - memory_free_pct); null if unknown.
   */
  memoryUsedPct: number | null
  stopWrites: boolean
  hwmBreached: boolean
  /** The raw key => value of the first node, for --json. */
  raw: { [key: string]: string }
  sets: SetConfig[]
  disagreements: Disagreement[]
}

function num (v: string | undefined, dflt = 0): number {
  if (v === undefined) return dflt
  const n = Number(v)
  return Number.isFinite(n) ? n : dflt
}

/** Reads the namespace's retention config from every node. */
export async function readNamespaceConfig (infoAll: InfoAllFn, ns: string): Promise<NamespaceConfig> {
  const nsAnswers = await infoAll(`namespace/${ns}`)
  const setAnswers = await infoAll(`sets/${ns}`)
  let sysMemoryUsedPct: number | null = null
  for (const answer of (await infoAll('statistics')).values()) {
    const free = kv(answer, ';').get('system_free_mem_pct')
    if (free !== undefined && Number.isFinite(Number(free))) sysMemoryUsedPct = Math.max(sysMemoryUsedPct ?? 0, 100 - Number(free))
  }
  const perNode = new Map<string, Map<string, string>>()
  for (const [node, answer] of nsAnswers) {
    const e = parseInfoError(answer)
    if (e !== null) throw new AsbError(ErrorCode.INVALID, `info namespace/${ns} failed on node ${node}: ${e.message}`)
    if (answer === 'type=unknown' || answer === '') throw new AsbError(ErrorCode.INVALID, `namespace ${ns} not found on node ${node}`)
    perNode.set(node, kv(answer, ';'))
  }
  const nodes = [...perNode.keys()]
  if (nodes.length === 0) throw new AsbError(ErrorCode.CONNECTION, 'no cluster node answered')
  const first = perNode.get(nodes[0]!)!
  const disagreements: Disagreement[] = []
  for (const key of RETENTION_KEYS) {
    const values: { [node: string]: string } = {}
    const seen = new Set<string>()
    for (const [node, m] of perNode) {
      const v = m.get(key)
      if (v === undefined) continue
      values[node] = v
      seen.add(v)
    }
    if (seen.size > 1) disagreements.push({ key, values })
  }
  const get = (k8: string, old?: string): string | undefined => first.get(k8) ?? (old !== undefined ? first.get(old) : undefined)
  const repl = Math.max(1, num(first.get('effective_replication_factor') ?? first.get('replication-factor'), 1))
  let objects = 0
  for (const m of perNode.values()) objects += num(m.get('objects'))
  objects = Math.floor(objects / repl)
  let usedPct: number | null = null
  let nsMemoryUsedPct: number | null = null
  for (const m of perNode.values()) {
    const u = m.get('data_used_pct') ?? m.get('device_used_pct')
    if (u !== undefined && Number.isFinite(Number(u))) usedPct = Math.max(usedPct ?? 0, Number(u))
    const free = m.get('memory_free_pct')
    if (free !== undefined && Number.isFinite(Number(free))) nsMemoryUsedPct = Math.max(nsMemoryUsedPct ?? 0, 100 - Number(free))
  }
  let availPct: number | null = null
  for (const m of perNode.values()) {
    const v = m.get('data_avail_pct') ?? m.get('device_available_pct')
    if (v !== undefined && Number.isFinite(Number(v))) availPct = Math.min(availPct ?? 100, Number(v))
  }

  // sets: per-node entries, counts summed, config from the first node that lists the set
  const sets = new Map<string, SetConfig>()
  const setValues = new Map<string, Map<string, { [node: string]: string }>>()
  for (const [node, answer] of setAnswers) {
    if (parseInfoError(answer) !== null) continue
    for (const entry of answer.split(';')) {
      if (entry === '') continue
      const f = kv(entry, ':')
      const name = f.get('set') ?? f.get('set_name')
      if (name === undefined) continue
      let s = sets.get(name)
      if (s === undefined) {
        s = {
          set: name,
          objects: 0,
          disableEviction: (f.get('disable-eviction') ?? f.get('set-disable-eviction')) === 'true',
          stopWritesCount: num(f.get('stop-writes-count') ?? f.get('set-stop-writes-count')),
          stopWritesSize: num(f.get('stop-writes-size')),
          defaultTtl: num(f.get('default-ttl')),
          dataUsedBytes: 0
        }
        sets.set(name, s)
      }
      s.objects += num(f.get('objects') ?? f.get('n_objects'))
      s.dataUsedBytes += num(f.get('data_used_bytes') ?? f.get('device_data_bytes') ?? f.get('memory_data_bytes'))
      for (const key of SET_KEYS) {
        const v = f.get(key)
        if (v === undefined) continue
        const k = `sets/${name}/${key}`
        const vals = setValues.get(name) ?? new Map<string, { [node: string]: string }>()
        const per = vals.get(k) ?? {}
        per[node] = v
        vals.set(k, per)
        setValues.set(name, vals)
      }
    }
  }
  for (const vals of setValues.values()) {
    for (const [key, values] of vals) if (new Set(Object.values(values)).size > 1) disagreements.push({ key, values })
  }
  for (const s of sets.values()) {
    s.objects = Math.floor(s.objects / repl)
    s.dataUsedBytes = Math.floor(s.dataUsedBytes / repl)
  }

  const names = first.has('storage-engine.evict-used-pct') || first.has('storage-engine.stop-writes-used-pct') ? '8.x' : 'legacy'
  return {
    namespace: ns,
    nodes,
    names,
    objects,
    replicationFactor: repl,
    nsupPeriod: num(first.get('nsup-period')),
    defaultTtl: num(first.get('default-ttl')),
    allowTtlWithoutNsup: first.has('allow-ttl-without-nsup') ? first.get('allow-ttl-without-nsup') === 'true' : true,
    evictTenthsPct: num(first.get('evict-tenths-pct'), 5),
    evictHistBuckets: num(first.get('evict-hist-buckets'), 10000),
    evictUsedPct: num(get('storage-engine.evict-used-pct', 'high-water-disk-pct')),
    evictMemoryPct: num(get('evict-sys-memory-pct', 'high-water-memory-pct')),
    stopWritesUsedPct: num(get('storage-engine.stop-writes-used-pct', 'stop-writes-pct')),
    stopWritesAvailPct: num(get('storage-engine.stop-writes-avail-pct', 'storage-engine.min-avail-pct')),
    stopWritesSysMemoryPct: num(first.get('stop-writes-sys-memory-pct')),
    usedPct,
    availPct,
    memoryUsedPct: names === 'legacy' && nsMemoryUsedPct !== null ? nsMemoryUsedPct : sysMemoryUsedPct,
    stopWrites: [...perNode.values()].some(m => m.get('stop_writes') === 'true'),
    hwmBreached: [...perNode.values()].some(m => m.get('hwm_breached') === 'true'),
    raw: Object.fromEntries([...RETENTION_KEYS].filter(k => first.has(k)).map(k => [k, first.get(k)!])),
    sets: [...sets.values()].sort((a, b) => a.set < b.set ? -1 : a.set > b.set ? 1 : 0),
    disagreements
  }
}
