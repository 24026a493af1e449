// TestCluster: N in-process nodes on loopback sharing one in-memory data
// set, with partition ownership, peers, security, TLS and fault injection.
// See index.ts for the documented API.
import { randomBytes } from 'node:crypto'
import { nameBytes } from '../name.js'
import { computeDigest, N_PARTITIONS } from '../proto/digest.js'
import { hashPassword } from '../proto/admin.js'
import { encodeKeyField, valueToParticle } from '../proto/particle.js'
import { Particle, type Key, type Name, type Value } from '../types.js'
import { normaliseGeo } from './geo.js'
import { NS_CONFIG, type SIndexDef, type UdfModule } from './info.js'
import { TestNode, type NodeStats } from './node.js'
import { NamespaceStore, nowVoidSeconds, type NamespaceConfig, type StoredBin, type StoredRecord } from './store.js'
import { voidTimeFor } from './txn.js'

export { TestNode, type NodeStats }

export interface TlsServerOptions {
  key: string | Buffer
  cert: string | Buffer
  ca?: string | Buffer
  /** Ask for (and verify against `ca`) a client certificate (PKI). */
  requestCert?: boolean
  /** TLS name reported in peers-tls-std (default 'localhost'). */
  name?: string
}

export interface SecurityOptions {
  /** user -> clear-text password. */
  users: { [user: string]: string }
  /** Session TTL reported on LOGIN (seconds, default 86400). */
  sessionTtlSeconds?: number
}

export interface TestClusterOptions {
  /** Number of nodes (default 1). */
  nodes?: number
  host?: string
  /** Port of node 0; node i listens on port + i. 0 (default) = ephemeral ports. */
  port?: number
  /** Namespaces and their config overrides (default { test: {} }). Values as `namespace/<ns>` reports them. */
  namespaces?: { [ns: string]: NamespaceConfig }
  clusterName?: string
  security?: SecurityOptions
  tls?: TlsServerOptions
  /** Clock in ms since the Unix epoch (default Date.now); advanceTime() shifts it. */
  now?: () => number
  /** Bytes per scan response proto before it is flushed (default 256 KiB; the real server uses ~1 MiB). */
  scanFlushBytes?: number
}

/** A value for cluster.put(): a typed Value, or a JS shorthand (bigint/number int, string, Buffer blob, boolean, null). */
export type PutValue = Value | bigint | number | string | Buffer | boolean | null

export interface PutOptions {
  /** TTL in seconds as a client sends it (0 default-ttl, -1 never, -2 keep). Default -1. */
  ttl?: number
  /** Store the user key with the record (default true). */
  sendKey?: boolean
  /** Last-update time in ms since the Unix epoch (default now). */
  lutMs?: number
  /** Force a generation (default: 1 for new, +1 on update). */
  generation?: number
  /** Force an absolute void-time (seconds since 2010-01-01; 0 never). Wins over ttl. */
  voidTime?: number
}

function toValue (v: PutValue): Value {
  if (v === null) return { type: Particle.NIL, value: null }
  if (typeof v === 'bigint') return { type: Particle.INTEGER, value: v }
  if (typeof v === 'number') return Number.isInteger(v) ? { type: Particle.INTEGER, value: BigInt(v) } : { type: Particle.DOUBLE, value: v }
  if (typeof v === 'string') return { type: Particle.STRING, value: Buffer.from(v, 'utf8') }
  if (typeof v === 'boolean') return { type: Particle.BOOL, value: v }
  if (Buffer.isBuffer(v)) return { type: Particle.BLOB, value: v }
  return v
}

export function toKey (k: Key | string | number | bigint | Buffer): Key {
  if (typeof k === 'string') return { type: Particle.STRING, value: Buffer.from(k, 'utf8') }
  if (typeof k === 'number' || typeof k === 'bigint') return { type: Particle.INTEGER, value: BigInt(k) }
  if (Buffer.isBuffer(k)) return { type: Particle.BLOB, value: k }
  return k
}

interface DropRule { afterRecords: number, node: number | null, times: number }
interface DropRequestRule { node: number | null, kind: 'info' | 'msg' | 'any', times: number }
interface FailRule { resultCode: number, times: number }

/** Fault injection. Every rule can be limited to one node index. */
export class Faults {
  /** @internal */ drops: DropRule[] = []
  /** @internal */ delays = new Map<number | null, number>()
  /** @internal */ unavailable = new Map<string, { pids: Set<number>, node: number | null }[]>()
  /** @internal */ failKeys = new Map<string, FailRule>()
  /** @internal */ requestDrops: DropRequestRule[] = []

  /**
   * Close the connection instead of answering the next `times` requests (default 1):
   * 'msg' = AS_MSG commands (single-record, batch, scan), 'info', or 'any'.
   */
  dropRequests (times = 1, opts: { node?: number, kind?: 'info' | 'msg' | 'any' } = {}): void {
    this.requestDrops.push({ node: opts.node ?? null, kind: opts.kind ?? 'msg', times })
  }

  /** Close the connection of the next `times` scans (default 1) after `records` records were sent. */
  dropConnectionAfter (records: number, opts: { node?: number, times?: number } = {}): void {
    this.drops.push({ afterRecords: records, node: opts.node ?? null, times: opts.times ?? 1 })
  }

  /** Delay every response (info, commands, each scan proto) by `ms`; 0 removes the delay. */
  delay (ms: number, opts: { node?: number } = {}): void {
    if (ms <= 0) this.delays.delete(opts.node ?? null)
    else this.delays.set(opts.node ?? null, ms)
  }

  /** Partitions that cannot be reserved: scans get PARTITION_DONE markers with result 11, commands get 11. */
  markUnavailable (ns: string, pids: Iterable<number>, opts: { node?: number } = {}): void {
    const list = this.unavailable.get(ns) ?? []
    list.push({ pids: new Set(pids), node: opts.node ?? null })
    this.unavailable.set(ns, list)
  }

  clearUnavailable (): void { this.unavailable.clear() }

  /** Answer commands on this digest with `resultCode` (the next `times` times; default forever). */
  failKey (digest: Buffer, resultCode: number, opts: { times?: number } = {}): void {
    this.failKeys.set(digest.toString('hex'), { resultCode, times: opts.times ?? Infinity })
  }

  reset (): void {
    this.drops = []
    this.requestDrops = []
    this.delays.clear()
    this.unavailable.clear()
    this.failKeys.clear()
  }

  /** @internal */ isUnavailable (ns: string, pid: number, node: number): boolean {
    const list = this.unavailable.get(ns)
    if (list === undefined) return false
    return list.some(u => u.pids.has(pid) && (u.node === null || u.node === node))
  }

  /** @internal */ takeRequestDrop (node: number, kind: 'info' | 'msg'): boolean {
    const r = this.requestDrops.find(d => d.times > 0 && (d.node === null || d.node === node) && (d.kind === 'any' || d.kind === kind))
    if (r === undefined) return false
    r.times--
    return true
  }

  /** @internal */ delayFor (node: number): number {
    return this.delays.get(node) ?? this.delays.get(null) ?? 0
  }

  /** @internal */ takeDrop (node: number): number | null {
    const r = this.drops.find(d => d.times > 0 && (d.node === null || d.node === node))
    if (r === undefined) return null
    r.times--
    return r.afterRecords
  }

  /** @internal */ takeKeyFailure (digest: Buffer): number | null {
    const k = digest.toString('hex')
    const r = this.failKeys.get(k)
    if (r === undefined) return null
    r.times--
    if (r.times <= 0) this.failKeys.delete(k)
    return r.resultCode
  }
}

interface Session { user: string, expiresMs: number }

export class TestCluster {
  readonly nodes: TestNode[] = []
  readonly namespaces = new Map<string, NamespaceStore>()
  readonly faults = new Faults()
  readonly sindexes: SIndexDef[] = []
  readonly udfs = new Map<string, UdfModule>()
  readonly clusterName: string
  readonly tls: TlsServerOptions | null
  readonly security: SecurityOptions | null
  readonly scanFlushBytes: number
  readonly startedMs: number
  partitionGeneration = 0
  peersGeneration = 0
  rebalanceGeneration = 1
  /** Partition -> owning node indexes (replica 0 = master). */
  owners: number[][] = []
  /** @internal */ sessions = new Map<string, Session>()
  /** @internal */ credentials = new Map<string, string>()
  readonly #clock: () => number
  #offsetMs = 0

  constructor (opts: TestClusterOptions = {}) {
    this.#clock = opts.now ?? Date.now
    this.clusterName = opts.clusterName ?? 'asb-test'
    this.tls = opts.tls ?? null
    this.security = opts.security ?? null
    this.scanFlushBytes = opts.scanFlushBytes ?? 256 * 1024
    this.startedMs = this.nowMs()
    if (this.security !== null) {
      for (const [u, p] of Object.entries(this.security.users)) this.credentials.set(u, hashPassword(p))
    }
    const nss = opts.namespaces ?? { test: {} }
    for (const [name, cfg] of Object.entries(nss)) this.addNamespace(name, cfg)
    const n = opts.nodes ?? 1
    const host = opts.host ?? '127.0.0.1'
    for (let i = 0; i < n; i++) {
      this.nodes.push(new TestNode(this, i, host, opts.port === undefined || opts.port === 0 ? 0 : opts.port + i))
    }
  }

  addNamespace (name: string, cfg: NamespaceConfig = {}): NamespaceStore {
    const config = new Map<string, string>(NS_CONFIG)
    // test knob (not reported by info): writes fail with 8 while true
    config.set('stop-writes', 'false')
    for (const [k, v] of Object.entries(cfg)) config.set(k, String(v))
    const ns = new NamespaceStore(name, config)
    this.namespaces.set(name, ns)
    return ns
  }

  nowMs (): number { return this.#clock() + this.#offsetMs }

  /** Changes a namespace config value at run time (as `set-config` does), e.g. ('test', 'stop-writes', true). */
  setNamespaceConfig (ns: string, key: string, value: string | number | boolean): void {
    this.#ns(ns).config.set(key, String(value))
  }

  /** Moves the cluster clock forward (expiry, last-update times, sessions). */
  advanceTime (seconds: number): void { this.#offsetMs += seconds * 1000 }

  /** `host:port` of every live node, comma-separated, as tools take seeds. */
  get seeds (): string {
    return this.liveNodes().map(n => `${n.host}:${n.port}`).join(',')
  }

  liveNodes (): TestNode[] { return this.nodes.filter(n => n.running) }

  /** @internal Reassigns partitions over the live nodes: master of p = live[p % n]. */
  rebalance (bump = true): void {
    const live = this.liveNodes().map(n => n.index)
    const owners: number[][] = []
    for (let p = 0; p < N_PARTITIONS; p++) {
      if (live.length === 0) { owners.push([]); continue }
      const list: number[] = []
      for (let r = 0; r < live.length; r++) list.push(live[(p + r) % live.length]!)
      owners.push(list)
    }
    this.owners = owners
    if (bump) {
      this.partitionGeneration++
      this.peersGeneration++
      this.rebalanceGeneration++
    }
  }

  replicationFactor (ns: NamespaceStore): number {
    return Math.max(1, Number(ns.config.get('replication-factor') ?? '1'))
  }

  /** True when `node` is the master of `pid` (what a scan needs to reserve the partition). */
  isMaster (node: number, pid: number): boolean {
    return this.owners[pid]?.[0] === node
  }

  /** True when `node` holds `pid` as master or one of its `rf` replicas. */
  holds (node: number, pid: number, rf: number): boolean {
    const list = this.owners[pid]
    if (list === undefined) return false
    for (let r = 0; r < rf && r < list.length; r++) if (list[r] === node) return true
    return false
  }

  replicasString (node: TestNode, max: number, withRegime: boolean): string {
    const out: string[] = []
    for (const ns of this.namespaces.values()) {
      const n = Math.min(this.replicationFactor(ns), this.liveNodes().length, max)
      const cols: string[] = []
      for (let r = 0; r < Math.max(n, 1); r++) {
        const bm = Buffer.alloc(N_PARTITIONS / 8)
        for (let p = 0; p < N_PARTITIONS; p++) {
          if (this.owners[p]?.[r] === node.index && node.running) bm[p >> 3]! |= 0x80 >> (p & 7)
        }
        cols.push(bm.toString('base64'))
      }
      out.push(withRegime ? `${ns.name}:0,${Math.max(n, 1)},${cols.join(',')}` : `${ns.name}:${Math.max(n, 1)},${cols.join(',')}`)
    }
    return out.join(';')
  }

  peersString (node: TestNode, tls: boolean): string {
    const peers = this.liveNodes().filter(n => n !== node).map(n => {
      const addr = n.port === node.port ? n.host : `${n.host}:${n.port}`
      return `[${n.id},${tls ? (this.tls?.name ?? 'localhost') : ''},[${addr}]]`
    })
    return `${this.peersGeneration},${node.port},[${peers.join(',')}]`
  }

  servicesString (node: TestNode): string {
    return this.liveNodes().filter(n => n !== node).map(n => `${n.host}:${n.port}`).join(';')
  }

  /** @internal */ login (user: string, credential: string): { token: Buffer, ttl: number } | number {
    const want = this.credentials.get(user)
    if (want === undefined) return 60 // INVALID_USER
    if (want !== credential) return 65 // INVALID_CREDENTIAL
    const token = randomBytes(32)
    const ttl = this.security?.sessionTtlSeconds ?? 86400
    this.sessions.set(token.toString('hex'), { user, expiresMs: this.nowMs() + ttl * 1000 })
    return { token, ttl }
  }

  /** @internal */ authenticate (user: string | null, token: Buffer): number {
    const s = this.sessions.get(token.toString('hex'))
    if (s === undefined) return 65 // INVALID_CREDENTIAL
    if (user !== null && user !== s.user) return 65
    if (s.expiresMs <= this.nowMs()) return 66 // EXPIRED_SESSION
    return 0
  }

  /** Ends every session: the next AUTHENTICATE with an old token gets 66 EXPIRED_SESSION. */
  expireSessions (): void {
    for (const s of this.sessions.values()) s.expiresMs = 0
  }

  /** Adds a user (security must be enabled). */
  addUser (user: string, password: string): void {
    this.credentials.set(user, hashPassword(password))
  }

  #ns (ns: string): NamespaceStore {
    const s = this.namespaces.get(ns)
    if (s === undefined) throw new Error(`test cluster has no namespace ${ns}`)
    return s
  }

  /** Stores a record directly (no network). Returns its digest. */
  put (ns: string, set: Name | null, key: Key | string | number | bigint | Buffer, bins: { [name: string]: PutValue } | Array<Value & { name: Name }>, opts: PutOptions = {}): Buffer {
    const store = this.#ns(ns)
    const k = toKey(key)
    const digest = computeDigest(set, k)
    return this.putDigest(ns, set, digest, bins, { ...opts, key: opts.sendKey === false ? null : k })
  }

  /** Stores a record by digest (key optional). */
  putDigest (ns: string, set: Name | null, digest: Buffer, bins: { [name: string]: PutValue } | Array<Value & { name: Name }>, opts: PutOptions & { key?: Key | null } = {}): Buffer {
    const store = this.#ns(ns)
    const now = this.nowMs()
    const existing = store.get(digest, now)
    const map = new Map<string, StoredBin>()
    const list: Array<[Name, Value]> = Array.isArray(bins) ? bins.map(b => [b.name, b]) : Object.entries(bins).map(([n, v]) => [n, toValue(v)])
    for (const [name, v] of list) {
      if (v.type === Particle.NIL) continue
      const p = valueToParticle(v)
      const bytes = p.type === Particle.GEOJSON ? (normaliseGeo(p.bytes) ?? p.bytes) : p.bytes
      map.set(nameBytes(name).toString('latin1'), { particle: p.type, value: Buffer.from(bytes) })
    }
    let voidTime = opts.voidTime
    if (voidTime === undefined) {
      const ttl = opts.ttl ?? -1
      voidTime = voidTimeFor(ttl >>> 0, store, existing, now) ?? 0
    }
    const rec: StoredRecord = {
      digest: Buffer.from(digest),
      set: set === null ? null : nameBytes(set),
      key: opts.key == null ? null : encodeKeyField(opts.key),
      bins: map,
      generation: opts.generation ?? (existing === undefined ? 1 : existing.generation + 1),
      voidTime,
      lutMs: opts.lutMs ?? now
    }
    store.put(rec)
    return rec.digest
  }

  /** The stored record (live only), for assertions. */
  get (ns: string, set: Name | null, key: Key | string | number | bigint | Buffer): StoredRecord | undefined {
    return this.#ns(ns).get(computeDigest(set, toKey(key)), this.nowMs())
  }

  getDigest (ns: string, digest: Buffer): StoredRecord | undefined {
    return this.#ns(ns).get(digest, this.nowMs())
  }

  /** Live records of a namespace (optionally one set), partition by partition in scan order. */
  * records (ns: string, set?: Name): Generator<StoredRecord> {
    const store = this.#ns(ns)
    const now = this.nowMs()
    const want = set === undefined ? null : nameBytes(set)
    for (let p = 0; p < N_PARTITIONS; p++) {
      for (const rec of store.partitionDesc(p, now)) {
        if (want !== null && (rec.set === null || !rec.set.equals(want))) continue
        yield rec
      }
    }
  }

  /** Live record count of a namespace (optionally one set). */
  count (ns: string, set?: string): number {
    return this.#ns(ns).count(this.nowMs(), set === undefined ? undefined : Buffer.from(set, 'utf8').toString('latin1'))
  }

  /** Current void-time "now" (seconds since 2010-01-01). */
  nowVoidTime (): number { return nowVoidSeconds(this.nowMs()) }

  async start (): Promise<void> {
    for (const n of this.nodes) await n.listen()
    this.rebalance(false)
  }

  async close (): Promise<void> {
    for (const n of this.nodes) await n.stop({ rebalance: false })
  }
}

/** Starts a cluster and waits until every node listens. */
export async function startTestCluster (opts: TestClusterOptions = {}): Promise<TestCluster> {
  const c = new TestCluster(opts)
  await c.start()
  return c
}
