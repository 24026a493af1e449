// as-encode's conversion on several cores.
//
//   input --> cut into ~1 MiB chunks at likely unit starts
//           --> chunk 0..k: Converter on this thread, until the head (version,
//               header) is through and it stands at a boundary
//           --> later chunks: worker threads, a fresh Converter each, started
//               mid-stream from the head's ResumeState
//           --> results taken in input order --> output
//
// Where a chunk may start: NDJSON after any LF (JSON text holds no raw LF, so
// every cut is exact); .asb before a line `+ k ` or `+ n ` (how a record
// starts), which string and blob bytes can imitate. A cut is trusted only
// once the chunk before it ended exactly there between records (the worker
// says `clean`); otherwise the chunk after it is done again on this thread,
// by a Converter that carries on from the last trusted point, until that one
// stands at a boundary again. The output is therefore the serial output,
// byte for byte, whatever the cuts (test/convert/parallel.test.ts).
//
// Errors keep their serial wording: a worker's line numbers are relative to
// its chunk and made absolute here; offsets are absolute already. Output made
// before the failing record is written, then the error is thrown.
//
// Memory: at most 2 chunks in flight per worker plus one being cut; output
// waits for the consumer (the generator does not read on while a yield is
// pending), so a slow reader holds back the input.
import { Worker } from 'node:worker_threads'
import { Converter, addCounts } from './converter.js'
import type { ConvertSpec, Counts, ResumeState } from './converter.js'
import { fromWire } from './wire.js'
import type { JobMessage, ResultMessage } from './wire.js'

export interface ParallelOptions {
  /** Worker threads; 0 or 1: everything on the calling thread. */
  threads: number
  /** Target chunk size in bytes (default 1 MiB). */
  chunkSize?: number
}

export const DEFAULT_CHUNK_SIZE = 1024 * 1024
/** A chunk is sent uncut (to be done on this thread) once this much has no cut point. */
const MAX_UNCUT = 64 * 1024 * 1024

const LF = 10
const SP = 32
const PLUS = 43
const K = 107
const N = 110

/** Start of the next chunk in `b` (the byte after the last LF), or -1. */
function cutNdjson (b: Buffer): number {
  const i = b.lastIndexOf(LF)
  return i === -1 ? -1 : i + 1
}

/** True when b[i..] reads `+ <c> `. */
function headLine (b: Buffer, i: number, c: number): boolean {
  return b[i] === PLUS && b[i + 1] === SP && b[i + 2] === c && b[i + 3] === SP
}

/**
 * Start of the last record in `b` that can be seen whole from its first line
 * (`+ k ...`, or `+ n ...` not preceded by a `+ k` line), or -1.
 */
function cutAsb (b: Buffer): number {
  let i = b.length - 5
  while (i >= 0) {
    i = b.lastIndexOf(LF, i)
    if (i === -1) return -1
    if (headLine(b, i + 1, K)) return i + 1
    if (headLine(b, i + 1, N)) {
      // a keyed record starts one line earlier; a key line with an LF inside is not seen (the cut is then checked and redone)
      const j = i === 0 ? -1 : b.lastIndexOf(LF, i - 1)
      if (j !== -1) return headLine(b, j + 1, K) ? j + 1 : i + 1
    }
    i--
  }
  return -1
}

interface Pending {
  resolve: (r: ResultMessage) => void
  reject: (e: Error) => void
}

class Pool {
  readonly #workers: Array<{ w: Worker, pending: Map<number, Pending> }> = []
  #failed: Error | null = null
  #closed = false

  constructor (threads: number) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url), {
        // not the parent's loaders and flags (a test runner's coverage hooks made each start ~1 s)
        execArgv: [],
        // a worker never prints; should it, its output must not join the data on stdout
        stdout: true,
        stderr: false
      })
      const slot = { w, pending: new Map<number, Pending>() }
      w.on('message', (r: ResultMessage) => {
        const p = slot.pending.get(r.id)
        if (p === undefined) return
        slot.pending.delete(r.id)
        p.resolve(r)
      })
      const fail = (err: Error): void => {
        this.#failed ??= err
        for (const p of slot.pending.values()) p.reject(err)
        slot.pending.clear()
      }
      w.on('error', fail)
      w.on('exit', (code) => { if (!this.#closed && slot.pending.size > 0) fail(new Error(`conversion worker exited (${code})`)) })
      this.#workers.push(slot)
    }
  }

  run (job: JobMessage): Promise<ResultMessage> {
    if (this.#failed !== null) return Promise.reject(this.#failed)
    let slot = this.#workers[0]!
    for (const s of this.#workers) if (s.pending.size < slot.pending.size) slot = s
    return new Promise<ResultMessage>((resolve, reject) => {
      slot.pending.set(job.id, { resolve, reject })
      slot.w.postMessage(job, [job.bytes.buffer as ArrayBuffer])
    })
  }

  /** Ends the workers; results still pending are dropped (nobody waits for them any more). */
  async close (): Promise<void> {
    this.#closed = true
    for (const s of this.#workers) s.pending.clear()
    await Promise.all(this.#workers.map(async (s) => await s.w.terminate()))
  }
}

/** How the chunks went (for -v and tests). */
export interface ConversionStats {
  /** Chunks converted on the calling thread (the head, inputs under a chunk, redone chunks). */
  localChunks: number
  /** Chunks whose worker result was used. */
  workerChunks: number
  /** Chunks done again on the calling thread because the cut before them was no boundary. */
  redone: number
}

interface Chunk { bytes: Buffer, offset: number, final: boolean }
interface Job extends Chunk {
  /** Sent to a worker; otherwise done here when its turn comes. */
  result: Promise<ResultMessage> | null
}

/** Reads `source` and cuts it into chunks; exactly one chunk is final. */
class Cutter {
  readonly #it: AsyncIterator<Buffer | string>
  readonly #cut: (b: Buffer) => number
  readonly #size: number
  #parts: Buffer[] = []
  #len = 0
  #offset = 0
  #done = false
  #finished = false

  constructor (source: AsyncIterable<Buffer | string>, from: ConvertSpec['from'], size: number) {
    this.#it = source[Symbol.asyncIterator]()
    this.#cut = from === 'asb' ? cutAsb : cutNdjson
    this.#size = size
  }

  /** The next chunk (its own ArrayBuffer, fit for transfer), or null after the final one. */
  async next (): Promise<Chunk | null> {
    if (this.#finished) return null
    for (;;) {
      if (this.#done) return this.#take(this.#len, true)
      if (this.#len >= this.#size) {
        // look for a cut in the newest part (parts are far larger than a record)
        const last = this.#parts[this.#parts.length - 1]!
        const c = this.#cut(last)
        if (c > 0) return this.#take(this.#len - last.length + c, false)
        if (this.#len >= MAX_UNCUT) return this.#take(this.#len, false)
      }
      const r = await this.#it.next()
      if (r.done === true) { this.#done = true; continue }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
      if (b.length === 0) continue
      this.#parts.push(b)
      this.#len += b.length
    }
  }

  #take (n: number, final: boolean): Chunk {
    const bytes = Buffer.allocUnsafeSlow(n)
    let o = 0
    let k = 0
    const parts = this.#parts
    while (o < n) {
      const p = parts[k]!
      const m = Math.min(p.length, n - o)
      p.copy(bytes, o, 0, m)
      o += m
      if (m < p.length) { parts[k] = p.subarray(m); break }
      k++
    }
    this.#parts = parts.slice(k)
    this.#len -= n
    const chunk = { bytes, offset: this.#offset, final }
    this.#offset += n
    if (final) this.#finished = true
    return chunk
  }
}

/**
 * The conversion as a pipeline stage (bytes in, bytes out); `counts` is
 * complete once the stage has finished.
 */
export function createConversion (spec: ConvertSpec, opts: ParallelOptions): {
  counts: Counts
  stats: ConversionStats
  stage: (source: AsyncIterable<Buffer | string>) => AsyncGenerator<Buffer>
} {
  const counts: Counts = { records: 0, indexes: 0, udfs: 0 }
  const stats: ConversionStats = { localChunks: 0, workerChunks: 0, redone: 0 }
  const threads = opts.threads > 1 ? Math.floor(opts.threads) : 0
  const size = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE)

  async function * stage (source: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
    const cutter = new Cutter(source, spec.from, size)
    let pool: Pool | null = null
    /** Converter on this thread while the stream's head is read, or after an untrusted cut. */
    let local: Converter | null = new Converter(spec)
    let resume: ResumeState | null = null
    /** Line number at the start of the next chunk whose result is taken (while local is null). */
    let line = 1
    let nextId = 0
    const queue: Job[] = []

    /** An error from the local converter, thrown once the output made before it is out. */
    let failure: unknown = null

    // Feeds a chunk to the local converter; drops it once it stands at a trusted boundary.
    function feed (c: Chunk): Buffer | null {
      const conv = local!
      try {
        conv.write(c.bytes)
        if (c.final) conv.end()
      } catch (err) {
        failure = err
        return conv.take()
      }
      stats.localChunks++
      const out = conv.take()
      if (c.final || (threads > 0 && conv.atBoundary)) {
        const r = c.final ? null : conv.resumeState()
        if (c.final || r !== null) {
          addCounts(counts, conv.counts)
          resume ??= r
          line = conv.line
          local = null
        }
      }
      return out
    }

    try {
      let input = true
      for (;;) {
        // keep the workers fed
        while (input && queue.length < 2 * Math.max(1, threads)) {
          const c = await cutter.next()
          if (c === null) { input = false; break }
          if (local !== null && queue.length === 0) {
            const out = feed(c)
            if (out !== null) yield out
            if (failure !== null) throw failure
            continue
          }
          let result: Promise<ResultMessage> | null = null
          if (local === null && resume !== null) {
            pool ??= new Pool(threads)
            result = pool.run({ id: nextId++, spec, resume, bytes: c.bytes, offset: c.offset, final: c.final })
          }
          queue.push({ ...c, result })
        }
        const job = queue.shift()
        if (job === undefined) break
        if (job.result === null) {
          local ??= new Converter(spec, { offset: job.offset, line, resume: resume! })
          const out = feed(job)
          if (out !== null) yield out
          if (failure !== null) throw failure
          continue
        }
        const r = await job.result
        const bytes = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength)
        if (local !== null) {
          // its start was not trusted: done again here
          stats.redone++
          const out = feed({ bytes, offset: job.offset, final: job.final })
          if (out !== null) yield out
          if (failure !== null) throw failure
          continue
        }
        if (r.error !== null) {
          if (r.out !== null) yield Buffer.from(r.out.buffer, r.out.byteOffset, r.out.byteLength)
          throw fromWire(r.error, line)
        }
        if (r.clean || job.final) {
          stats.workerChunks++
          addCounts(counts, r.counts)
          line += r.lines
          if (r.out !== null) yield Buffer.from(r.out.buffer, r.out.byteOffset, r.out.byteLength)
          continue
        }
        // the chunk ended inside a record: the cut after it was no boundary
        stats.redone++
        local = new Converter(spec, { offset: job.offset, line, resume: resume! })
        const out = feed({ bytes, offset: job.offset, final: job.final })
        if (out !== null) yield out
        if (failure !== null) throw failure
      }
    } finally {
      if (pool !== null) await pool.close()
    }
  }

  return { counts, stats, stage }
}
