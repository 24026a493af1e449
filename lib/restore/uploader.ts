// Groups records into batches and keeps at most `maxInFlight` of them in the
// air (batch_uploader.c / record_uploader.c), with asrestore's result
// categories and retry schedule (§9.5). Backpressure: `add()` resolves only
// when there is room, so the decoder upstream waits instead of buffering.
//
//   decoder -> add() -> [group of batchSize] -> writer.writeBatch()   (batch mode)
//                                            -> writer.writeOne() × n (key-put mode)
import { AsbError, ErrorCode } from '../errors.js'
import { describeResultCode } from '../proto/result-codes.js'
import type { RestoreCounters } from './counters.js'
import { categorize, CLIENT_ERROR, retryDelayMs } from './retry.js'
import type { Outcome } from './retry.js'
import type { RecordWriter, WriteCallError, WriteItem } from './writer.js'

export interface UploaderOptions {
  writer: RecordWriter
  counters: RestoreCounters
  /** Batch-index writes (true) or single-record puts (false). */
  batchWrites: boolean
  batchSize: number
  /** Groups in flight at once (--max-async-batches). */
  maxInFlight: number
  maxRetries: number
  /** µs (--retry-scale-factor). */
  retryScaleFactor: number
  ignoreRecordError: boolean
  sleep?: (ms: number) => Promise<void>
  /** Called for each per-record error that is counted as err_ignored (for -v logging). */
  onIgnored?: (item: WriteItem, code: number) => void
}

const defaultSleep = (ms: number): Promise<void> => ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms))

export class Uploader {
  readonly #o: UploaderOptions
  readonly #sleep: (ms: number) => Promise<void>
  #group: WriteItem[] = []
  #inFlight = 0
  #waiters: Array<() => void> = []
  #fatal: Error | null = null

  constructor (opts: UploaderOptions) {
    this.#o = { ...opts, batchSize: Math.max(1, opts.batchSize), maxInFlight: Math.max(1, opts.maxInFlight) }
    this.#sleep = opts.sleep ?? defaultSleep
  }

  /** The first fatal error, if any (the run must stop). */
  get fatal (): Error | null { return this.#fatal }

  /**
   * Queues one record. Returns a promise only when the caller must wait (a
   * group was dispatched and the in-flight limit may be reached): the hot
   * path allocates no promise per record (bench/restore/restore.bench.ts --sink).
   */
  add (item: WriteItem): Promise<void> | undefined {
    if (this.#fatal !== null) { this.#o.counters.failed++; throw this.#fatal }
    this.#o.counters.inFlight++
    this.#group.push(item)
    if (this.#group.length >= this.#o.batchSize) return this.#dispatch()
    return undefined
  }

  /** Sends what is buffered and waits for everything in flight. */
  async flush (): Promise<void> {
    if (this.#group.length > 0 && this.#fatal === null) await this.#dispatch()
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    if (this.#fatal === null && this.#group.length > 0) await this.flush()
    if (this.#fatal !== null) {
      // whatever never got an answer is lost to the fatal error
      this.#o.counters.failed += this.#group.length
      this.#o.counters.inFlight -= this.#group.length
      this.#group = []
      throw this.#fatal
    }
  }

  async #dispatch (): Promise<void> {
    while (this.#inFlight >= this.#o.maxInFlight) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    if (this.#fatal !== null) throw this.#fatal
    const group = this.#group
    this.#group = []
    this.#inFlight++
    const run = this.#o.batchWrites ? this.#runBatch(group) : this.#runKeyPuts(group)
    run.catch((err: unknown) => {
      this.#setFatal(err as Error)
    }).finally(() => {
      this.#inFlight--
      const w = this.#waiters.shift()
      if (w !== undefined) w()
      // wake everyone on fatal so they see it
      if (this.#fatal !== null) { for (const x of this.#waiters.splice(0)) x() }
    })
  }

  #setFatal (err: Error): void {
    if (this.#fatal === null) this.#fatal = err
  }

  /** Counts one record's final outcome; throws for a fatal per-record error. */
  #settle (item: WriteItem, code: number, outcome: Outcome): void {
    const c = this.#o.counters
    c.inFlight--
    switch (outcome) {
      case 'inserted': c.inserted++; return
      case 'existed': c.existed++; return
      case 'fresher': c.fresher++; return
      case 'ignorable':
        // asrestore increments ignored_records always, and stops unless --ignore-record-error
        c.ignored++
        this.#o.onIgnored?.(item, code)
        if (!this.#o.ignoreRecordError) {
          this.#setFatal(new AsbError(ErrorCode.SERVER, `Error while storing record - code ${describeResultCode(code)}`))
        }
        return
      default:
        c.failed++
        this.#setFatal(new AsbError(ErrorCode.SERVER, `Error while storing record - code ${describeResultCode(code)}`))
    }
  }

  /** A whole call failed: its category (network errors and timeouts retry). */
  static callOutcome (err: WriteCallError): Outcome {
    if (typeof err.resultCode === 'number') return categorize(err.resultCode)
    const code = (err as { code?: unknown }).code
    if (code === ErrorCode.TIMEOUT || code === ErrorCode.CONNECTION || code === ErrorCode.PROTOCOL ||
        code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE' || code === 'ETIMEDOUT') return 'retry'
    return 'fatal'
  }

  /**
   * Batch mode. A whole call that fails transiently is retried; rows whose
   * request never reached the server (client-side CLIENT_RETRY, e.g. their
   * node's connection dropped) are re-sent alone, so rows already written are
   * never written twice. A server per-row code outside the table is fatal
   * (asrestore does not retry those).
   */
  /**
   * Before retry `attempt`: gives up (throws `exhausted`) past --max-retries,
   * else counts the retry and waits its delay. False when another group hit a
   * fatal error meanwhile (this one stops; its records count as failed).
   */
  async #backoff (attempt: number, pending: WriteItem[], exhausted: string): Promise<boolean> {
    if (attempt > this.#o.maxRetries) {
      this.#failAll(pending)
      throw new AsbError(ErrorCode.SERVER, exhausted)
    }
    this.#o.counters.retries++
    await this.#sleep(retryDelayMs(attempt, this.#o.retryScaleFactor))
    if (this.#fatal !== null) { this.#failAll(pending); return false }
    return true
  }

  async #runBatch (group: WriteItem[]): Promise<void> {
    let pending = group
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && !await this.#backoff(attempt, pending, 'Max batch-write retries exceeded')) return
      let codes: number[]
      try {
        codes = await this.#o.writer.writeBatch(pending)
      } catch (err) {
        const outcome = Uploader.callOutcome(err as WriteCallError)
        if (outcome === 'retry') continue
        this.#failAll(pending)
        throw err
      }
      const again: WriteItem[] = []
      for (let i = 0; i < pending.length; i++) {
        const code = codes[i] ?? CLIENT_ERROR
        const outcome = categorize(code)
        if (outcome === 'retry' && code < 0) { again.push(pending[i]!); continue }
        this.#settle(pending[i]!, code, outcome === 'retry' ? 'fatal' : outcome)
      }
      if (again.length === 0) return
      pending = again
    }
  }

  async #runKeyPuts (group: WriteItem[]): Promise<void> {
    let pending = group
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && !await this.#backoff(attempt, pending, 'Max key-put retries exceeded')) return
      const results = await Promise.allSettled(pending.map((it) => this.#o.writer.writeOne(it)))
      const retry: WriteItem[] = []
      let fatalErr: unknown = null
      for (let i = 0; i < pending.length; i++) {
        const r = results[i]!
        const item = pending[i]!
        if (r.status === 'fulfilled') {
          const outcome = categorize(r.value)
          if (outcome === 'retry') retry.push(item)
          else this.#settle(item, r.value, outcome)
        } else {
          const outcome = Uploader.callOutcome(r.reason as WriteCallError)
          if (outcome === 'retry') retry.push(item)
          else if (outcome === 'fatal') { this.#o.counters.inFlight--; this.#o.counters.failed++; fatalErr ??= r.reason }
          else this.#settle(item, (r.reason as WriteCallError).resultCode ?? -1, outcome)
        }
      }
      if (fatalErr !== null) {
        this.#failAll(retry)
        throw fatalErr
      }
      if (retry.length === 0) return
      // only records that have not yet succeeded are re-sent
      pending = retry
    }
  }

  #failAll (items: WriteItem[]): void {
    this.#o.counters.inFlight -= items.length
    this.#o.counters.failed += items.length
  }
}
