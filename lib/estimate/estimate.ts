// as-estimate: size a backup before running it (asb-format.md §7).
//
//   info namespace/<ns> | sets  --> N (Σ nodes / replication factor)
//   partitions in seeded random order --> whole-partition scans until n samples
//        each record --AsbEncoder--> its .asb size s_i (and the bytes, into
//        [zstd] -> [AES] -> byte counter, for the stored/raw ratio)
//   --> asbackup's numbers (same formulas) + the design-based bound
//
// asbackup's -e takes the first n records the server returns; `sampling:
// 'first'` does the same, for comparison.
import { PassThrough, Writable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { AsbEncoder } from '../asb/encode.js'
import { createPartitionScan } from '../client/scan.js'
import type { Cluster } from '../client/cluster.js'
import { N_PARTITIONS } from '../client/partition-map.js'
import { createZstdCompress } from '../compress/zstd.js'
import { createEncryptStream, type EncryptMode } from '../crypto/stream.js'
import type { KeyMaterial } from '../crypto/key.js'
import { AEAD_HEADER_SIZE, CTR_HEADER_SIZE } from '../crypto/constants.js'
import { AsbError, ErrorCode } from '../errors.js'
import { partitionId } from '../proto/digest.js'
import { parseKeyValues } from '../proto/info.js'
import { fetchIndexes, fetchObjectCount, fetchUdfs } from '../scan/metadata.js'
import { buildSelectionExpression } from '../scan/expression.js'
import type { Header, Record, Token } from '../types.js'
import {
  asbackupEstimate, designEstimate, sampleStats, seededRandom, shuffledRange,
  type AsbackupEstimate, type DesignEstimate, type PartitionSample, type SampleStats
} from './stats.js'

export const DEFAULT_SAMPLES = 10000

export type Sampling = 'random' | 'first'

export interface EstimateOptions {
  namespace: string
  /** -s: none = whole namespace. */
  sets?: string[]
  /** -B: only these bins are measured. */
  bins?: string[] | null
  /** Records to measure (default 10000). */
  samples?: number
  /** 'random' (default): whole partitions in seeded random order; 'first': asbackup's first n records. */
  sampling?: Sampling
  /** Seed of the partition order (default: random). */
  seed?: number
  /** Cap on N (asbackup --max-records). */
  maxRecords?: number
  noIndexes?: boolean
  noUdfs?: boolean
  /** .asb --compact */
  compact?: boolean
  /** -z zstd: compress the sample stream at this level (asbackup default 3). */
  compress?: { level?: number } | null
  /** -y: encrypt the sample stream. */
  encrypt?: { mode: EncryptMode, key: KeyMaterial } | null
  socketTimeoutMs?: number
  totalTimeoutMs?: number
  maxRetries?: number
  retryDelayMs?: number
  /** Verbose diagnostics. */
  log?: (msg: string) => void
}

export interface NodeCount { node: string, objects: number, replication: number }

export interface EstimateResult {
  namespace: string
  sets: string[]
  /** N: the record count estimate from info (capped by maxRecords). */
  records: number
  nodes: NodeCount[]
  sampling: Sampling
  seed: number | null
  /** n: records measured. */
  samples: number
  /** Partitions the samples came from. */
  partitions: number
  /** Version, meta, index and UDF lines (+ the IV / header when encrypting). */
  headerSize: number
  /** Raw sample stream bytes (header + Σ s_i). */
  rawBytes: number
  /** The same stream after compression/encryption. */
  storedBytes: number
  stats: SampleStats
  asbackup: AsbackupEstimate
  /** Random sampling only: the design-based estimate and interval, in file bytes (header + ratio x record bytes). */
  design: DesignEstimate | null
  compression: string | null
  encryption: string | null
}

/** Per-node `objects` and replication factor (backup_status.c:get_object_count), for the node table. */
export async function nodeCounts (cluster: Pick<Cluster, 'infoAll'>, ns: string, sets: string[]): Promise<NodeCount[]> {
  const nsAnswers = await cluster.infoAll(`namespace/${ns}`)
  const setAnswers = sets.length > 0 ? await cluster.infoAll(`sets/${ns}`) : null
  const out: NodeCount[] = []
  for (const [node, answer] of nsAnswers) {
    const kv = parseKeyValues(answer)
    let objects = Number(kv.get('objects') ?? 0)
    if (setAnswers !== null) {
      objects = 0
      for (const e of (setAnswers.get(node) ?? '').split(';')) {
        const f = parseKeyValues(e, ':')
        const set = f.get('set') ?? f.get('set_name')
        if (set !== undefined && sets.includes(set)) objects += Number(f.get('objects') ?? f.get('n_objects') ?? 0)
      }
    }
    out.push({ node, objects, replication: Number(kv.get('replication-factor') ?? kv.get('effective_replication_factor') ?? 1) })
  }
  return out
}

/** The byte counter at the end of the ratio pipeline. */
class Counter extends Writable {
  bytes = 0
  override _write (chunk: Buffer, _enc: BufferEncoding, cb: () => void): void { this.bytes += chunk.length; cb() }
}

/** Measures what the sample stream becomes after [zstd] -> [AES]; null when neither is asked. */
class StoredSize {
  readonly #input = new PassThrough({ highWaterMark: 1 << 20 })
  readonly #counter = new Counter()
  readonly #done: Promise<void>

  constructor (compress: EstimateOptions['compress'], encrypt: EstimateOptions['encrypt']) {
    const stages: Transform[] = []
    if (compress != null) stages.push(createZstdCompress({ level: compress.level, checksum: false }))
    if (encrypt != null) stages.push(createEncryptStream({ mode: encrypt.mode, key: encrypt.key }))
    this.#done = pipeline([this.#input, ...stages, this.#counter])
  }

  async write (b: Buffer): Promise<void> {
    if (b.length === 0) return
    if (!this.#input.write(b)) await new Promise<void>(resolve => this.#input.once('drain', resolve))
  }

  async finish (): Promise<number> {
    this.#input.end()
    await this.#done
    return this.#counter.bytes
  }
}

/** Record bytes -> file bytes, as asbackup does: header + ratio x records. */
function toFileSize (d: DesignEstimate, ratio: number, headerSize: number): DesignEstimate {
  return {
    ...d,
    bytes: headerSize + ratio * d.bytes,
    stderr: ratio * d.stderr,
    lower: headerSize + Math.floor(ratio * d.lower),
    upper: headerSize + Math.ceil(ratio * d.upper)
  }
}

export async function runEstimate (cluster: Cluster, o: EstimateOptions): Promise<EstimateResult> {
  const ns = o.namespace
  const sets = o.sets ?? []
  const samples = o.samples ?? DEFAULT_SAMPLES
  const sampling = o.sampling ?? 'random'
  const seed = sampling === 'random' ? (o.seed ?? Math.floor(Math.random() * 2 ** 32)) : null
  const log = o.log ?? (() => {})
  if (!cluster.namespaces.includes(ns)) throw new AsbError(ErrorCode.INVALID, `namespace ${ns} not found in the cluster`)

  let records = await fetchObjectCount(async cmd => await cluster.infoAll(cmd === 'sets' ? `sets/${ns}` : cmd), ns, sets)
  if (o.maxRecords !== undefined && o.maxRecords > 0 && records > o.maxRecords) records = o.maxRecords
  const nodes = await nodeCounts(cluster, ns, sets)

  // the header as as-scan --format asb writes it
  const enc = new AsbEncoder({ compact: o.compact === true })
  const info = async (cmd: string): Promise<string> => (await cluster.info([cmd])).get(cmd) ?? ''
  const header: Header = { kind: 'header', version: '3.1', namespace: ns, firstFile: true }
  const globals: Token[] = [header]
  if (o.noIndexes !== true) globals.push(...(await fetchIndexes(info, ns, sets)).indexes)
  if (o.noUdfs !== true) globals.push(...await fetchUdfs(info))
  for (const g of globals) enc.append(g)
  let headerSize = enc.length
  const stored = o.compress != null || o.encrypt != null ? new StoredSize(o.compress, o.encrypt) : null
  await stored?.write(enc.take())
  if (o.encrypt != null) headerSize += o.encrypt.mode === 'aes256-gcm' ? AEAD_HEADER_SIZE : CTR_HEADER_SIZE

  const sizes: number[] = []
  const perPartition = new Map<number, PartitionSample>()
  const scanOpts = {
    namespace: ns,
    set: sets.length === 1 ? sets[0]! : null,
    bins: o.bins ?? undefined,
    filterExpression: buildSelectionExpression({ sets }) ?? undefined,
    socketTimeoutMs: o.socketTimeoutMs,
    totalTimeoutMs: o.totalTimeoutMs,
    maxRetries: o.maxRetries,
    retryDelayMs: o.retryDelayMs,
    parallel: Math.max(1, cluster.nodes.length),
    highWaterMark: 256
  }
  const measure = async (scan: AsyncIterable<Record>, limit: number): Promise<void> => {
    for await (const rec of scan) {
      const before = enc.length
      enc.append(rec)
      const size = enc.length - before
      sizes.push(size)
      const pid = partitionId(rec.digest)
      const p = perPartition.get(pid)
      if (p === undefined) perPartition.set(pid, { id: pid, records: 1, bytes: size })
      else { p.records++; p.bytes += size }
      if (enc.length >= 1 << 16) {
        const chunk = enc.take()
        await stored?.write(chunk)
      }
      if (limit > 0 && sizes.length >= limit) break
    }
  }

  let partitionsScanned = 0
  if (sampling === 'first') {
    // asbackup: one scan over the namespace, max_records = n, first records returned
    const scan = createPartitionScan(cluster, { ...scanOpts, maxRecords: samples, parallel: 1 })
    try { await measure(scan, samples) } finally { scan.destroy() }
    partitionsScanned = perPartition.size
  } else {
    const order = shuffledRange(N_PARTITIONS, seededRandom(seed!))
    let next = 0
    while (sizes.length < samples && next < order.length) {
      // records per partition: from info at first, then from what the scanned partitions held
      const perPart = next === 0 ? Math.max(records / N_PARTITIONS, 1 / 64) : Math.max(sizes.length / next, 1 / 64)
      const need = samples - sizes.length
      // a first batch of at most 1/4 of the partitions, in case info's count is off
      const cap = next === 0 ? N_PARTITIONS / 4 : order.length
      const batch = Math.min(order.length - next, cap, Math.max(1, Math.ceil(need / perPart)))
      const pids = order.slice(next, next + batch)
      next += batch
      log(`sampling ${pids.length} partition(s), ${sizes.length}/${samples} records so far`)
      const scan = createPartitionScan(cluster, { ...scanOpts, partitions: pids })
      try { await measure(scan, 0) } finally { scan.destroy() }
      // partitions without records are sampling units too
      for (const pid of pids) if (!perPartition.has(pid)) perPartition.set(pid, { id: pid, records: 0, bytes: 0 })
    }
    partitionsScanned = next
  }

  const stats = sampleStats(sizes)
  const rawBytes = stats.total + headerSize
  let storedBytes = rawBytes
  if (stored !== null) {
    await stored.write(enc.take())
    storedBytes = await stored.finish()
  }
  const design = sampling === 'random' ? designEstimate([...perPartition.values()], N_PARTITIONS, records) : null
  return {
    namespace: ns,
    sets,
    records,
    nodes,
    sampling,
    seed,
    samples: stats.n,
    partitions: partitionsScanned,
    headerSize,
    rawBytes,
    storedBytes,
    stats,
    asbackup: asbackupEstimate(stats, records, headerSize, storedBytes),
    design: design === null ? null : toFileSize(design, storedBytes / rawBytes, headerSize),
    compression: o.compress != null ? `zstd level ${o.compress.level ?? 3}` : null,
    encryption: o.encrypt != null ? o.encrypt.mode : null
  }
}
