// Transfer progress, the way as-scan shows it: a refreshed line on a terminal
// (about once a second), or NDJSON events with --progress json:
//   {"event":"progress","bytes":..,"total":..,"percent":..,"bytesPerSecond":..}
//   {"event":"retry"|"resume"|"part"|...}    (the transfer's own events)
//   {"event":"summary","bytes":..,"etag":..,...}
// Streams come in as options; nothing here touches process.
import type { Writable } from 'node:stream'

export type ProgressMode = 'auto' | 'tty' | 'json' | 'none'

export interface TransferProgressOptions {
  /** Refreshed single line (a terminal). */
  tty?: Writable
  /** NDJSON events. */
  json?: Writable
  /** Expected total bytes, if known (percent and ETA). */
  total?: number
  /** Refresh period, ms (default 1000). */
  intervalMs?: number
  /** Clock, ms (tests). */
  now?: () => number
}

export class TransferProgress {
  readonly #o: TransferProgressOptions
  readonly #now: () => number
  readonly #t0: number
  #bytes = 0
  #total: number | undefined
  #timer: NodeJS.Timeout | undefined
  #shown = false

  constructor (opts: TransferProgressOptions) {
    this.#o = opts
    this.#now = opts.now ?? Date.now
    this.#t0 = this.#now()
    this.#total = opts.total
    if (opts.tty !== undefined || opts.json !== undefined) {
      this.#timer = setInterval(() => { this.tick() }, opts.intervalMs ?? 1000)
      this.#timer.unref()
    }
  }

  set total (n: number) { this.#total = n }
  get bytes (): number { return this.#bytes }

  add (n: number): void { this.#bytes += n }

  event (obj: object): void {
    this.#o.json?.write(JSON.stringify(obj) + '\n')
  }

  tick (): void {
    const secs = Math.max(0.001, (this.#now() - this.#t0) / 1000)
    const bps = this.#bytes / secs
    const total = this.#total
    const percent = total !== undefined && total > 0 ? Math.min(100, Math.floor(this.#bytes * 100 / total)) : null
    this.event({ event: 'progress', bytes: this.#bytes, total: total ?? null, percent, bytesPerSecond: Math.round(bps) })
    if (this.#o.tty !== undefined) {
      const pct = percent !== null ? `${percent}% complete, ` : ''
      const eta = total !== undefined && bps > 0 ? `, ~${Math.ceil((total - this.#bytes) / bps)}s remaining` : ''
      this.#o.tty.write(`\r\x1b[K${pct}${(this.#bytes / 1048576).toFixed(1)} MiB, ~${(bps / 1048576).toFixed(1)} MiB/s${eta}`)
      this.#shown = true
    }
  }

  /** Clear the terminal line before other stderr output. */
  clearLine (): void {
    if (this.#shown) { this.#o.tty?.write('\r\x1b[K'); this.#shown = false }
  }

  finish (summary?: object): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.clearLine()
    if (summary !== undefined) this.event({ event: 'summary', ...summary })
  }
}
