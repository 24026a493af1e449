// Cluster discovery and the partition map (wire-protocol.md §2.3).
//
//   seeds --node/partition-generation/build--> nodes
//   nodes --peers-<clear|tls>-<std|alt>-->     more nodes (when peers-generation changes)
//   nodes --partition-generation/replicas-->   partition map (when partition-generation changes)
//
// refresh() runs that tend step once; a timer repeats it every
// tendIntervalMs (unref'd, so it never keeps a process alive). A node that
// fails its tend request is dropped from the node list and the map (its
// partitions have no master until another node reports them), and its pool is
// closed.
import { AsbError, ErrorCode } from '../errors.js'
import { parseInfoError } from '../proto/info.js'
import { Authenticator, type AuthOptions } from './auth.js'
import { parseHosts, parsePeers, type HostAddress } from './hosts.js'
import { ClusterNode, type NodeOptions } from './node.js'
import { buildPartitionMap, parseReplicas, N_PARTITIONS, type NamespaceReplicas, type ReplicasEntry } from './partition-map.js'
import { buildTlsConnectOptions, type TlsOptions } from './tls.js'
import { encodeInfoRequest, parseInfoResponse } from '../proto/info.js'
import { ProtoType } from '../proto/header.js'

/** Consecutive tend timeouts before a node is dropped (a refused connection drops it at once). */
export const MAX_TEND_FAILURES = 3

export interface ClusterOptions {
  /** Seeds: `host[:tlsname][:port],...` or parsed addresses. */
  hosts: string | HostAddress[]
  /** Port for seeds given without one (default 3000). */
  defaultPort?: number
  tls?: TlsOptions
  /** Login; omit when security is off. */
  auth?: AuthOptions
  /** --services-alternate: use peers-*-alt (alternate access addresses). */
  servicesAlternate?: boolean
  /** Expected cluster name (checked on every node when given). */
  clusterName?: string
  /** Connect timeout per connection, ms (default 10000). */
  connectTimeoutMs?: number
  /** Info/admin request timeout, ms (default 10000). */
  infoTimeoutMs?: number
  /** Connections per node (default 16). */
  maxConnectionsPerNode?: number
  /** Tend period, ms; 0 = only on refresh() (default 1000). */
  tendIntervalMs?: number
}

export class Cluster {
  readonly #nodeOpts: NodeOptions
  readonly #seeds: HostAddress[]
  readonly #opts: ClusterOptions
  #nodes = new Map<string, ClusterNode>()
  #replicas = new Map<ClusterNode, ReplicasEntry[]>()
  #map = new Map<string, NamespaceReplicas<ClusterNode>>()
  #timer: NodeJS.Timeout | null = null
  #refreshing: Promise<void> | null = null
  #closed = false
  #peersDirty = false
  #mapDirty = false
  /** Incremented whenever the partition map is rebuilt. */
  mapVersion = 0

  private constructor (opts: ClusterOptions) {
    this.#opts = opts
    this.#seeds = typeof opts.hosts === 'string' ? parseHosts(opts.hosts, opts.defaultPort ?? 3000) : opts.hosts
    const tlsName = opts.tls?.name
    if (tlsName !== undefined) this.#seeds = this.#seeds.map(s => s.tlsName === undefined ? { ...s, tlsName } : s)
    this.#nodeOpts = {
      tls: opts.tls?.enable === true ? buildTlsConnectOptions(opts.tls) : undefined,
      auth: opts.auth !== undefined ? new Authenticator(opts.auth) : undefined,
      connectTimeoutMs: opts.connectTimeoutMs,
      infoTimeoutMs: opts.infoTimeoutMs,
      maxConnections: opts.maxConnectionsPerNode
    }
  }

  /** Connect to the seeds, discover peers and load the partition map. */
  static async connect (opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts)
    try {
      await c.refresh()
    } catch (err) {
      c.close()
      throw err
    }
    const every = opts.tendIntervalMs ?? 1000
    if (every > 0) {
      c.#timer = setInterval(() => { c.refresh().catch(() => {}) }, every)
      c.#timer.unref()
    }
    return c
  }

  /** Active nodes. */
  get nodes (): ClusterNode[] {
    return [...this.#nodes.values()].filter(n => n.active)
  }

  getNode (name: string): ClusterNode | undefined {
    return this.#nodes.get(name)
  }

  /** Namespaces present in the partition map. */
  get namespaces (): string[] {
    return [...this.#map.keys()]
  }

  /** Master node of a partition, or undefined when no node currently owns it. */
  masterFor (namespace: string, pid: number): ClusterNode | undefined {
    return this.replicaFor(namespace, pid, 0)
  }

  replicaFor (namespace: string, pid: number, replica: number): ClusterNode | undefined {
    const n = this.#map.get(namespace)?.replicas[replica]?.[pid]
    return n === null || n === undefined || !n.active ? undefined : n
  }

  /** Run info commands on one node (default: any node). */
  async info (commands: string[], node?: ClusterNode): Promise<Map<string, string>> {
    const n = node ?? this.nodes[0]
    if (n === undefined) throw new AsbError(ErrorCode.CONNECTION, 'no cluster node available')
    return await n.info(commands)
  }

  /** One info command on every node: node name -> value. Throws on the first node failure. */
  async infoAll (command: string): Promise<Map<string, string>> {
    const nodes = this.nodes
    const answers = await Promise.all(nodes.map(async n => (await n.info([command])).get(command) ?? ''))
    const out = new Map<string, string>()
    nodes.forEach((n, i) => out.set(n.name, answers[i]))
    return out
  }

  /** One tend step; concurrent callers share the same run. */
  refresh (): Promise<void> {
    if (this.#refreshing === null) {
      this.#refreshing = this.#tend().finally(() => { this.#refreshing = null })
    }
    return this.#refreshing
  }

  close (): void {
    this.#closed = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    for (const n of this.#nodes.values()) n.close()
    this.#nodes.clear()
    this.#map.clear()
  }

  get #peersCommand (): string {
    const kind = this.#nodeOpts.tls !== undefined ? 'tls' : 'clear'
    return `peers-${kind}-${this.#opts.servicesAlternate === true ? 'alt' : 'std'}`
  }

  /** Connect to an address and identify the node there; null on failure. */
  async #validate (address: HostAddress, expectName?: string): Promise<{ node: ClusterNode, error: null } | { node: null, error: Error }> {
    let conn
    let session = null
    try {
      const r = await ClusterNode.connect(address, this.#nodeOpts)
      conn = r.conn
      session = r.session
      const cmds = ['node', 'partition-generation', 'build']
      if (this.#opts.clusterName !== undefined) cmds.push('cluster-name')
      const m = await conn.request(encodeInfoRequest(cmds), this.#opts.infoTimeoutMs ?? 10_000)
      if (m.type !== ProtoType.INFO) throw new AsbError(ErrorCode.PROTOCOL, `expected an info answer from ${address.host}:${address.port}`)
      const info = parseInfoResponse(m.body)
      const name = info.get('node') ?? ''
      if (name === '' || parseInfoError(name) !== null) throw new AsbError(ErrorCode.PROTOCOL, `${address.host}:${address.port} did not report a node name`)
      if (expectName !== undefined && name !== expectName) throw new AsbError(ErrorCode.PROTOCOL, `${address.host}:${address.port} is node ${name}, expected ${expectName}`)
      if (this.#opts.clusterName !== undefined && info.get('cluster-name') !== this.#opts.clusterName) {
        throw new AsbError(ErrorCode.CONNECTION, `${address.host}:${address.port} belongs to cluster '${info.get('cluster-name') ?? ''}', expected '${this.#opts.clusterName}'`)
      }
      if (Number(info.get('partition-generation')) === -1) throw new AsbError(ErrorCode.CONNECTION, `node ${name} is not ready (partition-generation -1)`)
      // the validated connection becomes the node's first pooled one
      const node = new ClusterNode(name, address, this.#nodeOpts, { conn, session })
      conn = undefined
      return { node, error: null }
    } catch (err) {
      return { node: null, error: err as Error }
    } finally {
      conn?.close()
    }
  }

  async #addAddresses (addresses: HostAddress[], expectName?: string): Promise<Error | null> {
    let last: Error | null = null
    for (const a of addresses) {
      const r = await this.#validate(a, expectName)
      if (r.node === null) { last = r.error; continue }
      if (this.#closed) { r.node.close(); return null }
      if (!this.#nodes.has(r.node.name)) this.#nodes.set(r.node.name, r.node)
      else r.node.close()
      return null
    }
    return last
  }

  async #tend (): Promise<void> {
    if (this.#closed) return
    if (this.nodes.length === 0) {
      const errors: Error[] = []
      await Promise.all(this.#seeds.map(async s => {
        const e = await this.#addAddresses([s])
        if (e !== null) errors.push(e)
      }))
      if (this.nodes.length === 0) {
        const what = errors.map(e => e.message).join('; ')
        throw new AsbError(ErrorCode.CONNECTION, `cannot connect to any seed (${what})`, { cause: errors[0] })
      }
    }
    // 1. generations of every known node
    const peersCmd = this.#peersCommand
    let wantPeers = false
    const needMap: ClusterNode[] = []
    await Promise.all(this.nodes.map(async node => {
      try {
        const info = await node.info(['node', 'peers-generation', 'partition-generation'])
        if (info.get('node') !== node.name) throw new AsbError(ErrorCode.PROTOCOL, `node ${node.name} now reports name ${info.get('node') ?? ''}`)
        const pg = Number(info.get('peers-generation'))
        const partGen = Number(info.get('partition-generation'))
        node.failures = 0
        if (pg !== node.peersGeneration) { wantPeers = true; node.peersGeneration = pg }
        if (partGen !== node.partitionGeneration && partGen !== -1) { needMap.push(node); node.partitionGeneration = partGen }
      } catch (err) {
        // A refused or closed connection (or a new name) means the node is gone; a slow answer
        // gets MAX_TEND_FAILURES chances (a busy node is not a lost node).
        node.failures++
        if ((err as AsbError).code !== ErrorCode.TIMEOUT || node.failures >= MAX_TEND_FAILURES) this.#dropNode(node)
      }
    }))
    // 2. peers (also after a node was dropped, so it comes back once reachable)
    if (this.#peersDirty) { wantPeers = true; this.#peersDirty = false }
    if (wantPeers) {
      const known = new Set(this.#nodes.keys())
      const toAdd = new Map<string, HostAddress[]>()
      await Promise.all(this.nodes.map(async node => {
        try {
          const v = (await node.info([peersCmd])).get(peersCmd) ?? ''
          const err = parseInfoError(v)
          if (err !== null) throw new AsbError(ErrorCode.SERVER, `${peersCmd} on ${node.name}: ${err.message}`)
          for (const p of parsePeers(v).peers) {
            if (known.has(p.nodeName) || toAdd.has(p.nodeName)) continue
            const tlsName = p.tlsName ?? this.#opts.tls?.name
            toAdd.set(p.nodeName, p.addresses.map(a => tlsName !== undefined ? { ...a, tlsName } : a))
          }
        } catch {
          node.peersGeneration = -2 // ask again next time
        }
      }))
      await Promise.all([...toAdd].map(async ([name, addrs]) => {
        await this.#addAddresses(addrs, name)
        const n = this.#nodes.get(name)
        if (n !== undefined && n.partitionGeneration === -2) {
          n.partitionGeneration = -3
          needMap.push(n)
        }
      }))
    }
    // 3. partition map
    let changed = needMap.length > 0 || this.#mapDirty
    this.#mapDirty = false
    await Promise.all(needMap.map(async node => {
      try {
        const info = await node.info(['partition-generation', 'replicas'])
        node.partitionGeneration = Number(info.get('partition-generation'))
        this.#replicas.set(node, parseReplicas(info.get('replicas') ?? ''))
      } catch {
        this.#dropNode(node)
        changed = true
      }
    }))
    for (const n of this.#replicas.keys()) {
      if (!n.active) { this.#replicas.delete(n); changed = true }
    }
    if (changed) {
      this.#map = buildPartitionMap([...this.#replicas].map(([node, entries]) => ({ node, entries })))
      this.mapVersion++
    }
  }

  #dropNode (node: ClusterNode): void {
    this.#peersDirty = true
    this.#mapDirty = true
    node.close()
    this.#nodes.delete(node.name)
    this.#replicas.delete(node)
  }

  /** Partitions of a namespace grouped by master node (unowned ones under null). */
  groupByMaster (namespace: string, pids: Iterable<number>): Map<ClusterNode | null, number[]> {
    const out = new Map<ClusterNode | null, number[]>()
    for (const pid of pids) {
      if (pid < 0 || pid >= N_PARTITIONS) throw new RangeError(`partition id ${pid}`)
      const n = this.masterFor(namespace, pid) ?? null
      let list = out.get(n)
      if (list === undefined) { list = []; out.set(n, list) }
      list.push(pid)
    }
    return out
  }
}
