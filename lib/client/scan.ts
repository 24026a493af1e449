// Partition scan: a Readable of lib/types.ts Records (object mode) over a list
// of partitions, each optionally resuming after a digest (exclusive), with the
// partition-tracker algorithm of the Java client (wire-protocol.md §8):
//
//   round:  pending partitions --group by master--> node jobs (<= parallel at once)
//           job: one scan request (PID_ARRAY for fresh partitions, DIGEST_ARRAY
//                for resumed ones) --> records / PARTITION_DONE markers / LAST
//   after:  all done -> end; else sleep, refresh the map, retry what is left
//           from each partition's last emitted digest (max-retries rounds)
//
// A partition's digest advances only when its record is pushed, so a dropped
// connection or an unavailable marker re-fetches exactly the records after the
// last one emitted: within a partition the server returns descending digests
// and resumes strictly below the boundary. Backpressure: when push() returns
// false a job stops reading its connection until _read() is called; the
// connection's bounded queue then pauses the socket and TCP throttles the
// server.
import { Readable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { AsbError, ErrorCode, ServerError } from '../errors.js'
import { partitionId } from '../proto/digest.js'
import { ProtoType } from '../proto/header.js'
import {
  decodeRecordMessage, encodeDigestArray, encodeMessage, encodePidArray, FieldType, Info1, Info3,
  makeMessage, makeOp, OpType, READ_TOUCH_NEVER, u32Field, u64Field, type Field
} from '../proto/message.js'
import { describeResultCode, isRetryable, ResultCode } from '../proto/result-codes.js'
import type { Record } from '../types.js'
import type { Cluster } from './cluster.js'
import type { Connection } from './connection.js'
import type { ClusterNode } from './node.js'
import { N_PARTITIONS } from './partition-map.js'

export interface ScanPartition {
  id: number
  /** Resume after this digest (exclusive); null/absent = from the start. */
  digest?: Buffer | null
}

export interface ScanOptions {
  namespace: string
  /** Set name; null/absent = the whole namespace. */
  set?: string | null
  /** Partitions to scan (ids or {id, digest}); default all 4096. */
  partitions?: Array<number | ScanPartition>
  /** Stop after this many records in total (0 = all). Exact on our side; sent as SAMPLE_MAX. */
  maxRecords?: number
  /** Server-side limit for the whole scan, split across concurrent jobs (0 = none). */
  recordsPerSecond?: number
  /** Bins to return (default all). */
  bins?: string[]
  /** Metadata only (the server echoes GET_NO_BINS; records have no bins). */
  noBins?: boolean
  /** Raw msgpack filter expression (FILTER_EXP field). */
  filterExpression?: Buffer
  /** Idle timeout per job while waiting for data, ms (default 10000, 0 = none); also sent to the server. */
  socketTimeoutMs?: number
  /** Whole-scan deadline, ms (default 0 = none). */
  totalTimeoutMs?: number
  /** Retry rounds after the first (default 5). */
  maxRetries?: number
  /** Sleep before each retry round, ms (default 0). */
  retryDelayMs?: number
  /** Scan jobs running at once (asbackup --parallel; default 1). Node groups are split to use them. */
  parallel?: number
  /** Readable high-water mark in records (default 1024). */
  highWaterMark?: number
}

/**
 * What the consumer has received of a partition: progress counts records
 * when they leave the stream (read by the consumer), not when they enter its
 * buffer, so a saved state resumes exactly after the last record the consumer
 * processed.
 */
export interface PartitionProgress {
  id: number
  /** Digest of the last record delivered for this partition, or the resume digest given; null if none yet. */
  digest: Buffer | null
  /** The server finished the partition and every one of its records was delivered. */
  done: boolean
  /** Records delivered for this partition by this scan. */
  records: number
}

interface PartState {
  id: number
  /** Last record pushed into the stream (where a retry resumes). */
  digest: Buffer | null
  /** The server finished this partition. */
  done: boolean
  pushed: number
  deliveredDigest: Buffer | null
  delivered: number
  /** Reported unavailable (or its job failed) in the current round. */
  retry: boolean
  /** Id of the job currently scanning it. */
  job: number
}

let nextJobId = 1

export interface RetryEvent {
  attempt: number
  partitions: number
  reason: string
}

// Task ids must be unique among the server's active and recent jobs
// (wire-protocol.md §4 TRID): a random 64-bit start, then +1 per job.
let nextTrid = randomBytes(8).readBigUInt64BE() | 1n
function newTaskId (): bigint {
  nextTrid = (nextTrid + 1n) & 0xffffffffffffffffn
  if (nextTrid === 0n) nextTrid = 1n
  return nextTrid
}

class Stop extends Error {}

export class PartitionScan extends Readable {
  readonly #cluster: Cluster
  readonly #o: Required<Omit<ScanOptions, 'set' | 'partitions' | 'bins' | 'filterExpression'>> & Pick<ScanOptions, 'set' | 'bins' | 'filterExpression'>
  readonly #parts = new Map<number, PartState>()
  /** Same states indexed by partition id: the per-record lookups (bench/client/scan.bench.ts). */
  readonly #byPid = new Array<PartState | undefined>(N_PARTITIONS)
  readonly #active = new Set<Connection>()
  #emitted = 0
  #gate: Promise<void> | null = null
  #open: (() => void) | null = null
  #started = false
  #stopped = false
  /** Task ids sent, for tests and diagnostics. */
  readonly taskIds: bigint[] = []

  constructor (cluster: Cluster, opts: ScanOptions) {
    super({ objectMode: true, highWaterMark: opts.highWaterMark ?? 1024 })
    this.#cluster = cluster
    this.#o = {
      namespace: opts.namespace,
      set: opts.set ?? null,
      maxRecords: opts.maxRecords ?? 0,
      recordsPerSecond: opts.recordsPerSecond ?? 0,
      bins: opts.bins,
      noBins: opts.noBins ?? false,
      filterExpression: opts.filterExpression,
      socketTimeoutMs: opts.socketTimeoutMs ?? 10_000,
      totalTimeoutMs: opts.totalTimeoutMs ?? 0,
      maxRetries: opts.maxRetries ?? 5,
      retryDelayMs: opts.retryDelayMs ?? 0,
      parallel: Math.max(1, opts.parallel ?? 1),
      highWaterMark: opts.highWaterMark ?? 1024
    }
    const list = opts.partitions ?? Array.from({ length: N_PARTITIONS }, (_, i) => i)
    for (const p of list) {
      const id = typeof p === 'number' ? p : p.id
      const digest = typeof p === 'number' ? null : p.digest ?? null
      if (!Number.isInteger(id) || id < 0 || id >= N_PARTITIONS) throw new RangeError(`partition id ${id} out of range 0..4095`)
      if (digest !== null && (digest.length !== 20 || partitionId(digest) !== id)) {
        throw new RangeError(`resume digest ${digest.toString('hex')} does not belong to partition ${id}`)
      }
      if (this.#parts.has(id)) throw new RangeError(`partition ${id} listed twice`)
      const state: PartState = { id, digest, done: false, pushed: 0, deliveredDigest: digest, delivered: 0, retry: false, job: 0 }
      this.#parts.set(id, state)
      this.#byPid[id] = state
    }
  }

  /** Records emitted so far. */
  get recordCount (): number { return this.#emitted }

  /** Snapshot of every partition's state (copies), for saving and resuming. */
  progress (): PartitionProgress[] {
    return [...this.#parts.values()].map(p => ({ id: p.id, digest: p.deliveredDigest, done: p.done && p.delivered === p.pushed, records: p.delivered }))
  }

  // Every consumption path (read(), flowing mode, pipe, async iteration) ends
  // in emit('data'): the one place to count a record as delivered.
  override emit (event: string | symbol, ...args: any[]): boolean {
    if (event === 'data') {
      const rec = args[0] as Record
      const p = this.#byPid[partitionId(rec.digest)]
      if (p !== undefined) {
        p.deliveredDigest = rec.digest
        p.delivered++
      }
    }
    return super.emit(event, ...args)
  }

  override _read (): void {
    if (!this.#started) {
      this.#started = true
      this.#run().then(() => { if (!this.destroyed) this.push(null) }, (err: Error) => { this.destroy(err) })
      return
    }
    const open = this.#open
    if (open !== null) {
      this.#open = null
      this.#gate = null
      open()
    }
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    this.#stopped = true
    for (const c of this.#active) c.close()
    this.#active.clear()
    const open = this.#open
    this.#open = null
    this.#gate = null
    if (open !== null) open()
    cb(err)
  }

  async #run (): Promise<void> {
    const deadline = this.#o.totalTimeoutMs > 0 ? Date.now() + this.#o.totalTimeoutMs : Infinity
    for (let attempt = 0; ;) {
      const pending = [...this.#parts.values()].filter(p => !p.done)
      if (pending.length === 0 || this.#stopped || this.#limitReached()) return
      for (const p of pending) p.retry = false
      const errors: Error[] = []
      const jobs = this.#planJobs(pending, errors)
      await this.#runJobs(jobs, errors)
      if (this.#stopped || this.#limitReached()) return
      const left = [...this.#parts.values()].filter(p => !p.done)
      if (left.length === 0) return
      // Jobs cut short by their SAMPLE_MAX leave partitions pending without any
      // failure: fetch the next page from the saved digests, not a retry.
      if (errors.length === 0 && left.every(p => !p.retry)) continue
      attempt++
      const reason = errors.length > 0 ? errors[errors.length - 1].message : `${left.length} partitions unavailable`
      if (attempt > this.#o.maxRetries) {
        throw new AsbError(ErrorCode.SERVER, `scan of ${this.#o.namespace} gave up after ${attempt} attempts with ${left.length} partitions left: ${reason}`, { cause: errors[errors.length - 1] })
      }
      if (Date.now() >= deadline) {
        throw new AsbError(ErrorCode.TIMEOUT, `scan of ${this.#o.namespace} exceeded its total timeout of ${this.#o.totalTimeoutMs} ms with ${left.length} partitions left: ${reason}`)
      }
      this.emit('retry', { attempt, partitions: left.length, reason } satisfies RetryEvent)
      if (this.#o.retryDelayMs > 0) await new Promise(resolve => setTimeout(resolve, this.#o.retryDelayMs))
      try {
        await this.#cluster.refresh()
      } catch (err) {
        errors.push(err as Error)
      }
    }
  }

  #limitReached (): boolean {
    return this.#o.maxRecords > 0 && this.#emitted >= this.#o.maxRecords
  }

  /** Group pending partitions by master and split the groups so `parallel` jobs can run. */
  #planJobs (pending: PartState[], errors: Error[]): Array<{ node: ClusterNode, parts: PartState[] }> {
    const byNode = new Map<ClusterNode, PartState[]>()
    let unowned = 0
    for (const p of pending) {
      const n = this.#cluster.masterFor(this.#o.namespace, p.id)
      if (n === undefined) { p.retry = true; unowned++; continue }
      let l = byNode.get(n)
      if (l === undefined) { l = []; byNode.set(n, l) }
      l.push(p)
    }
    if (unowned > 0) errors.push(new AsbError(ErrorCode.SERVER, `${unowned} partitions of ${this.#o.namespace} have no master node`))
    const jobs: Array<{ node: ClusterNode, parts: PartState[] }> = []
    const split = Math.max(1, Math.ceil(this.#o.parallel / Math.max(1, byNode.size)))
    for (const [node, parts] of byNode) {
      const n = Math.min(split, parts.length)
      for (let i = 0; i < n; i++) {
        const chunk = parts.slice(Math.floor(parts.length * i / n), Math.floor(parts.length * (i + 1) / n))
        jobs.push({ node, parts: chunk })
      }
    }
    return jobs
  }

  async #runJobs (jobs: Array<{ node: ClusterNode, parts: PartState[] }>, errors: Error[]): Promise<void> {
    let next = 0
    const concurrent = Math.min(this.#o.parallel, jobs.length)
    const worker = async (): Promise<void> => {
      while (next < jobs.length && !this.#stopped && !this.#limitReached()) {
        const job = jobs[next++]
        try {
          await this.#scanJob(job.node, job.parts, concurrent)
        } catch (err) {
          if (err instanceof Stop) return
          if (err instanceof ServerError && !isRetryable(err.resultCode)) throw err
          for (const p of job.parts) if (!p.done) p.retry = true
          errors.push(err as Error)
        }
      }
    }
    await Promise.all(Array.from({ length: concurrent }, worker))
  }

  async #scanJob (node: ClusterNode, parts: PartState[], concurrent: number): Promise<void> {
    const jobId = nextJobId++
    for (const p of parts) p.job = jobId
    const byPid = this.#byPid
    const mine = (pid: number): PartState | undefined => {
      const p = byPid[pid]
      return p !== undefined && p.job === jobId ? p : undefined
    }
    const taskId = newTaskId()
    this.taskIds.push(taskId)
    const sampleMax = this.#o.maxRecords > 0 ? this.#o.maxRecords - this.#emitted : 0
    let got = 0
    const req = encodeScanRequest(this.#o, parts, taskId, {
      sampleMax,
      recordsPerSecond: this.#o.recordsPerSecond > 0 ? Math.max(1, Math.floor(this.#o.recordsPerSecond / concurrent)) : 0
    })
    const conn = await node.acquire()
    this.#active.add(conn)
    let clean = false
    try {
      conn.send(req)
      for (;;) {
        if (this.#gate !== null) await this.#gate
        if (this.#stopped) throw new Stop()
        const m = await conn.read(this.#o.socketTimeoutMs)
        if (m.type !== ProtoType.MSG) throw new AsbError(ErrorCode.PROTOCOL, `scan answer from ${node.name} has proto type ${m.type}`)
        const body = m.body
        let off = 0
        while (off < body.length) {
          const item = decodeRecordMessage(body, off)
          off = item.end
          if ((item.info3 & Info3.LAST) !== 0) {
            if (item.resultCode !== ResultCode.OK) throw new ServerError(item.resultCode, `scan on ${node.name} ended with ${describeResultCode(item.resultCode)}`)
            // A job that hit its SAMPLE_MAX may have stopped inside any of its
            // partitions: they stay pending (resumable from their digests).
            if (sampleMax === 0 || got < sampleMax) for (const p of parts) if (!p.retry) p.done = true
            clean = true
            return
          }
          if ((item.info3 & Info3.PARTITION_DONE) !== 0) {
            const p = item.generation < N_PARTITIONS ? mine(item.generation) : undefined
            if (p !== undefined) {
              if (item.resultCode === ResultCode.OK) p.done = true
              else p.retry = true
            }
            continue
          }
          if (item.resultCode !== ResultCode.OK) {
            throw new ServerError(item.resultCode, `scan on ${node.name} failed: ${describeResultCode(item.resultCode)}`)
          }
          const rec = item.record
          if (rec === null) throw new AsbError(ErrorCode.PROTOCOL, `scan answer from ${node.name} holds a message without namespace or digest`)
          const p = mine(partitionId(rec.digest))
          if (p === undefined) throw new AsbError(ErrorCode.PROTOCOL, `scan answer from ${node.name} holds a record of partition ${partitionId(rec.digest)}, which was not requested`)
          if (this.#stopped) throw new Stop()
          if (this.#limitReached()) throw new Stop()
          got++
          this.#emit(p, rec)
        }
      }
    } finally {
      this.#active.delete(conn)
      node.release(conn, clean)
    }
  }

  #emit (p: PartState, rec: Record): void {
    p.digest = rec.digest
    p.pushed++
    this.#emitted++
    if (!this.push(rec) && this.#gate === null) {
      this.#gate = new Promise(resolve => { this.#open = resolve })
    }
  }
}

/**
 * One scan request (wire-protocol.md §8), field order as the C client sends
 * them: NAMESPACE, SET, [RECS_PER_SEC], SOCKET_TIMEOUT, TRID, [FILTER_EXP],
 * [PID_ARRAY fresh partitions], [DIGEST_ARRAY resumed ones], [SAMPLE_MAX].
 */
export function encodeScanRequest (
  o: Pick<ScanOptions, 'namespace' | 'set' | 'bins' | 'noBins' | 'filterExpression' | 'socketTimeoutMs'>,
  parts: Array<{ id: number, digest: Buffer | null }>,
  taskId: bigint,
  job: { sampleMax?: number, recordsPerSecond?: number } = {}
): Buffer {
  const fields: Field[] = [{ type: FieldType.NAMESPACE, data: Buffer.from(o.namespace, 'utf8') }]
  if (typeof o.set === 'string' && o.set !== '') fields.push({ type: FieldType.SET, data: Buffer.from(o.set, 'utf8') })
  if ((job.recordsPerSecond ?? 0) > 0) fields.push(u32Field(FieldType.RECS_PER_SEC, job.recordsPerSecond!))
  fields.push(u32Field(FieldType.SOCKET_TIMEOUT, o.socketTimeoutMs ?? 10_000))
  fields.push(u64Field(FieldType.TRID, taskId))
  if (o.filterExpression !== undefined) fields.push({ type: FieldType.FILTER_EXP, data: o.filterExpression })
  const fresh = parts.filter(p => p.digest === null).map(p => p.id)
  const resumed = parts.filter(p => p.digest !== null).map(p => p.digest!)
  if (fresh.length > 0) fields.push({ type: FieldType.PID_ARRAY, data: encodePidArray(fresh) })
  if (resumed.length > 0) fields.push({ type: FieldType.DIGEST_ARRAY, data: encodeDigestArray(resumed) })
  if ((job.sampleMax ?? 0) > 0) fields.push(u64Field(FieldType.SAMPLE_MAX, job.sampleMax!))
  const noBins = o.noBins === true
  return encodeMessage(makeMessage({
    info1: Info1.READ | (noBins ? Info1.GET_NO_BINS : 0),
    info3: Info3.PARTITION_DONE,
    recordTtl: READ_TOUCH_NEVER,
    fields,
    ops: noBins ? [] : (o.bins ?? []).map(b => makeOp(OpType.READ, b))
  }))
}

export function createPartitionScan (cluster: Cluster, opts: ScanOptions): PartitionScan {
  return new PartitionScan(cluster, opts)
}
