// The partition map, built from each node's `replicas` answer
// (wire-protocol.md §2.2):  ns:regime,n_replicas,<b64 bitmap>,...;ns2:...
// Each bitmap is 512 bytes = 4096 bits; partition p is owned when
// bitmap[p >> 3] & (0x80 >> (p & 7)). Per partition and replica index we keep
// the node with the highest regime (strong-consistency namespaces bump the
// regime on every ownership change; AP namespaces report 0), as the Java
// client's PartitionParser does.

export const N_PARTITIONS = 4096

export interface NamespaceReplicas<N> {
  /** replicas[r][pid] = owning node of replica r (0 = master), or null. */
  replicas: Array<Array<N | null>>
  regimes: Uint32Array
}

export interface ReplicasEntry {
  namespace: string
  regime: number
  bitmaps: Buffer[]
}

/** Parse a `replicas` value. Throws on malformed text. */
export function parseReplicas (value: string): ReplicasEntry[] {
  const out: ReplicasEntry[] = []
  for (const part of value.split(';')) {
    if (part.trim() === '') continue
    const colon = part.indexOf(':')
    if (colon < 0) throw new Error(`bad replicas entry '${part.slice(0, 60)}'`)
    const namespace = part.slice(0, colon)
    const items = part.slice(colon + 1).split(',')
    if (items.length < 2) throw new Error(`bad replicas entry for '${namespace}'`)
    const regime = Number(items[0])
    const n = Number(items[1])
    if (!Number.isInteger(regime) || !Number.isInteger(n) || items.length !== n + 2) {
      throw new Error(`bad replicas entry for '${namespace}': expected regime,n,<n bitmaps>`)
    }
    const bitmaps = items.slice(2).map(b => {
      const buf = Buffer.from(b, 'base64')
      if (buf.length !== N_PARTITIONS / 8) throw new Error(`bad replicas bitmap for '${namespace}': ${buf.length} bytes`)
      return buf
    })
    out.push({ namespace, regime, bitmaps })
  }
  return out
}

export function ownsPartition (bitmap: Buffer, pid: number): boolean {
  return (bitmap[pid >> 3] & (0x80 >> (pid & 7))) !== 0
}

/** Build a map from every node's parsed `replicas` answer. */
export function buildPartitionMap<N> (answers: Array<{ node: N, entries: ReplicasEntry[] }>): Map<string, NamespaceReplicas<N>> {
  const map = new Map<string, NamespaceReplicas<N>>()
  for (const { node, entries } of answers) {
    for (const e of entries) {
      let ns = map.get(e.namespace)
      if (ns === undefined) {
        ns = { replicas: [], regimes: new Uint32Array(N_PARTITIONS) }
        map.set(e.namespace, ns)
      }
      while (ns.replicas.length < e.bitmaps.length) ns.replicas.push(new Array<N | null>(N_PARTITIONS).fill(null))
      for (let r = 0; r < e.bitmaps.length; r++) {
        const bm = e.bitmaps[r]
        const col = ns.replicas[r]
        for (let pid = 0; pid < N_PARTITIONS; pid++) {
          if (!ownsPartition(bm, pid)) continue
          // Java PartitionParser: a node with an older regime never overrides a newer one.
          if (e.regime >= ns.regimes[pid]) {
            ns.regimes[pid] = e.regime
            col[pid] = node
          }
        }
      }
    }
  }
  return map
}
