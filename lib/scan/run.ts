// The scan runner: N workers take jobs (partition filters) from a queue, each
// job one partition scan; records go through one sink that encodes them,
// writes them in batches and only then *commits* them to the state (last
// digest per partition, counters, output length). So the state never claims a
// record that has not been handed to the output, and the runner can stop at
// any moment (SIGINT, SIGTERM, an error) with a state that resumes exactly.
//
//   job queue ──> worker 1 ─┐                        ┌─> state (committed)
//             ──> worker n ─┴─> sink: encode, batch ─┴─> out.write(cb)
//
// Backpressure: a worker awaits the sink, the sink awaits the write callback
// of the previous batch, so a slow consumer stops the workers' reads, which
// stops the scan streams (TCP flow control throttles the server).
import { setMaxListeners } from 'node:events'
import { Readable, type Writable } from 'node:stream'
import { AsbError, ErrorCode } from '../errors.js'
import type { Record as AsRecord, Token } from '../types.js'
import { describeJob, filterPartitions } from './jobs.js'
import type { PartitionFilter } from './parse.js'
import type { Progress } from './progress.js'
import type { ScanState } from './state.js'
import { partitionId } from '../proto/digest.js'

/** One partition scan, as the data-plane client runs it. */
export interface ScanRequest {
  namespace: string
  /** Single set, or null for the whole namespace (multi-set uses the filter expression). */
  set: string | null
  /** Partitions to scan; `after` resumes after that digest (exclusive). */
  partitions: Array<{ id: number, after?: Buffer }>
  /** Server-side limit hint for this job; 0 = none. */
  maxRecords: number
  /** Server-side rate limit for this job; 0 = none. */
  recordsPerSecond: number
  binNames: string[] | null
  noBins: boolean
  filterExp: Buffer | null
}

/** Yields the records of one request; must stop (and release its sockets) when the iteration is returned or `signal` aborts. */
export type ScanSource = (req: ScanRequest, signal: AbortSignal) => AsyncIterable<AsRecord> | Readable

/** Resolves when `r` may have data, ended, closed or failed. */
async function readableOrEnd (r: Readable): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => {
      r.off('readable', done); r.off('end', done); r.off('close', done); r.off('error', done)
      resolve()
    }
    r.on('readable', done); r.on('end', done); r.on('close', done); r.on('error', done)
  })
}

/**
 * Appends tokens' output bytes (NDJSON lines or .asb text) to an internal
 * buffer; `take()` hands over everything appended so far. One copy per
 * batch instead of one per record (bench/scan/scan.bench.ts).
 */
export interface TokenEncoder {
  append: (t: Token) => void
  /** Bytes appended and not yet taken (may be approximate; take() is exact). */
  readonly length: number
  take: () => Buffer
}

export interface RunScanOptions {
  source: ScanSource
  namespace: string
  set: string | null
  binNames: string[] | null
  noBins: boolean
  filterExp: Buffer | null
  jobs: PartitionFilter[]
  threads: number
  /** Total record limit over every run of this scan; 0 = none. */
  maxRecords: number
  /** Server-side limit per job (asbackup divides -M over jobs). */
  jobMaxRecords: number
  /** Per-job records/s (asbackup divides -L over threads). */
  jobRecordsPerSecond: number
  /** Header, sindex and UDF tokens: written first unless the state says they were. */
  globals: Token[]
  encode: TokenEncoder
  out: Writable
  state: ScanState
  /** Persist the state (called every saveIntervalMs and at the end). */
  saveState?: () => void
  saveIntervalMs?: number
  /** --nice: output bytes per second; 0 = unlimited. */
  bandwidth?: number
  progress?: Progress
  progressIntervalMs?: number
  /** Aborting it stops the scan cleanly (committed state kept). */
  signal?: AbortSignal
  /** Verbose job messages. */
  log?: (msg: string) => void
  /** Bytes per output write (default 64 KiB). */
  batchBytes?: number
  /** A partly filled batch is written after this long (default 250 ms). */
  flushIntervalMs?: number
}

export interface RunScanResult {
  /** Every job finished (or -M was reached). */
  complete: boolean
  /** Stopped by the signal before completing. */
  interrupted: boolean
  /** -M reached. */
  limitReached: boolean
}

const DEFAULT_BATCH = 64 * 1024

interface Batch {
  data: Buffer | null
  records: number
  digests: Map<number, Buffer>
  done: number[]
  indexes: number
  udfs: number
  globals: boolean
}

function newBatch (): Batch {
  return { data: null, records: 0, digests: new Map(), done: [], indexes: 0, udfs: 0, globals: false }
}

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

class Sink {
  readonly #o: RunScanOptions
  readonly #batchBytes: number
  #cur = newBatch()
  #chain: Promise<void> = Promise.resolve()
  #failed: unknown = null
  #t0 = Date.now()
  #throttled = 0

  constructor (o: RunScanOptions) {
    this.#o = o
    this.#batchBytes = o.batchBytes ?? DEFAULT_BATCH
  }

  get failed (): unknown { return this.#failed }

  addGlobals (tokens: Token[]): void {
    for (const t of tokens) {
      this.#o.encode.append(t)
      if (t.kind === 'sindex') this.#cur.indexes++
      else if (t.kind === 'udf') this.#cur.udfs++
    }
    this.#cur.globals = true
  }

  /** Records waiting in the current batch. */
  get pending (): number { return this.#cur.records }

  /** Encode a record into the current batch; true when the batch is full (then await cut()). */
  addRecord (r: AsRecord): boolean {
    this.#o.encode.append(r)
    const cur = this.#cur
    cur.records++
    cur.digests.set(partitionId(r.digest), r.digest)
    return this.#o.encode.length >= this.#batchBytes
  }

  addDone (pids: number[]): void {
    for (const p of pids) this.#cur.done.push(p)
  }

  /** Hand the current batch to the writer; resolves when it (and all before it) are committed. */
  async cut (): Promise<void> {
    const b = this.#cur
    this.#cur = newBatch()
    if (this.#o.encode.length > 0) b.data = this.#o.encode.take()
    if (b.data !== null || b.done.length > 0 || b.globals) {
      this.#chain = this.#chain.then(async () => await this.#write(b))
    }
    await this.#chain
  }

  async #write (b: Batch): Promise<void> {
    if (this.#failed !== null) throw this.#failed
    const rate = this.#o.bandwidth ?? 0
    const bytes = b.data?.length ?? 0
    if (rate > 0 && bytes > 0) {
      const due = this.#t0 + (this.#throttled / rate) * 1000
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      this.#throttled += bytes
    }
    if (b.data !== null) {
      const data = b.data
      try {
        await new Promise<void>((resolve, reject) => {
          this.#o.out.write(data, (err) => { if (err !== null && err !== undefined) reject(err); else resolve() })
        })
      } catch (err) {
        this.#failed = err
        throw err
      }
    }
    const s = this.#o.state
    for (const d of b.digests.values()) s.commitDigest(d)
    s.markDone(b.done)
    s.counts.records += b.records
    s.counts.bytes += bytes
    s.counts.indexes += b.indexes
    s.counts.udfs += b.udfs
    s.outputBytes += bytes
    if (b.globals) s.globalsDone = true
  }
}

/** Run the scan to completion, interruption or failure (then the committed state is saved and the error rethrown). */
export async function runScan (o: RunScanOptions): Promise<RunScanResult> {
  const state = o.state
  const sink = new Sink(o)
  const stopAll = new AbortController()
  setMaxListeners(0, stopAll.signal) // one relay per running job (up to 100)
  let interrupted = false
  let limitReached = false
  let firstError: unknown = null
  const onStop = (): void => { interrupted = true; stopAll.abort() }
  if (o.signal?.aborted === true) onStop()
  o.signal?.addEventListener('abort', onStop, { once: true })

  // write errors reach the write callbacks; keep the 'error' event from going unhandled
  const onOutError = (err: unknown): void => { firstError ??= err; stopAll.abort() }
  o.out.on('error', onOutError)
  let emitted = state.counts.records
  const timers: NodeJS.Timeout[] = []
  if (o.saveState !== undefined) {
    const save = o.saveState
    timers.push(setInterval(() => { try { save() } catch (err) { firstError ??= err; stopAll.abort() } }, o.saveIntervalMs ?? 2000))
  }
  if (o.progress !== undefined) {
    const p = o.progress
    timers.push(setInterval(() => p.tick(state.counts.records, state.counts.bytes), o.progressIntervalMs ?? 1000))
  }

  // a slow scan (rate-limited, filtered) still reaches the output and the state promptly
  timers.push(setInterval(() => { if (sink.pending > 0) sink.cut().catch(() => {}) }, o.flushIntervalMs ?? 250))

  try {
    if (!state.globalsDone && !stopAll.signal.aborted) {
      sink.addGlobals(o.globals)
      await sink.cut()
      o.saveState?.()
    }
    let next = 0
    const worker = async (): Promise<void> => {
      while (!stopAll.signal.aborted && next < o.jobs.length) {
        const job = o.jobs[next++]
        const pids = filterPartitions(job)
        const parts: Array<{ id: number, after?: Buffer }> = []
        for (const pid of pids) {
          const start = state.startOf(pid, job)
          if (start === null) continue
          parts.push(start === undefined ? { id: pid } : { id: pid, after: start })
        }
        if (parts.length === 0) continue
        const desc = describeJob(job)
        o.log?.(`Starting backup for ${desc}`)
        let jobRecords = 0
        const jobAbort = new AbortController()
        const relay = (): void => jobAbort.abort()
        stopAll.signal.addEventListener('abort', relay, { once: true })
        try {
          const iter = o.source({
            namespace: o.namespace,
            set: o.set,
            partitions: parts,
            maxRecords: o.jobMaxRecords,
            recordsPerSecond: o.jobRecordsPerSecond,
            binNames: o.binNames,
            noBins: o.noBins,
            filterExp: o.filterExp
          }, jobAbort.signal)
          const take = (rec: AsRecord): boolean => {
            if (o.maxRecords > 0 && emitted >= o.maxRecords) { limitReached = true; stopAll.abort(); return false }
            emitted++
            jobRecords++
            return sink.addRecord(rec)
          }
          if (iter instanceof Readable) {
            // drain what is buffered synchronously; wait only when empty or when a batch is full
            // (a for-await costs a promise per record: bench/scan/scan.bench.ts)
            for (;;) {
              if (stopAll.signal.aborted) break
              const rec = iter.read() as AsRecord | null
              if (rec !== null) {
                if (take(rec)) await sink.cut()
                continue
              }
              if (iter.readableEnded || iter.destroyed) {
                if (iter.errored !== null) throw iter.errored
                if (!iter.readableEnded && !stopAll.signal.aborted) throw new AsbError(ErrorCode.PROTOCOL, 'scan stream closed early')
                break
              }
              await readableOrEnd(iter)
            }
          } else {
            for await (const rec of iter) {
              if (stopAll.signal.aborted) break
              if (take(rec)) await sink.cut()
            }
          }
        } catch (err) {
          // a scan we stopped ends with a premature-close error: not a failure
          if (!stopAll.signal.aborted) throw err
        } finally {
          stopAll.signal.removeEventListener('abort', relay)
          jobAbort.abort()
        }
        if (stopAll.signal.aborted) {
          if (o.maxRecords > 0 && emitted >= o.maxRecords) limitReached = true
          break
        }
        // every record of this job is in the sink: its partitions are done once that commits
        sink.addDone(parts.map(p => p.id))
        o.log?.(`Completed backup for ${desc}, records: ${jobRecords}`)
        if (o.maxRecords > 0 && emitted >= o.maxRecords) { limitReached = true; stopAll.abort() }
      }
    }
    const results = await Promise.allSettled(Array.from({ length: Math.max(1, o.threads) }, worker))
    for (const r of results) {
      if (r.status === 'rejected') { firstError ??= r.reason; stopAll.abort() }
    }
  } catch (err) {
    firstError ??= err
  } finally {
    for (const t of timers) clearInterval(t)
    o.signal?.removeEventListener('abort', onStop)
    o.out.off('error', onOutError)
  }
  // commit whatever was read (unless the output itself failed)
  if (sink.failed === null) {
    try { await sink.cut() } catch (err) { firstError ??= err }
  }
  if (limitReached && firstError === null) interrupted = false
  const complete = firstError === null && !interrupted
  state.complete = complete
  o.saveState?.()
  if (firstError !== null) throw firstError
  return { complete, interrupted, limitReached }
}

