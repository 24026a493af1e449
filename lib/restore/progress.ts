// Progress on stderr: asrestore's lines every 10th 1 s tick and at the end,
// `-m` machine lines (PROGRESS/REMAINING/SUMMARY), or NDJSON events with
// `--progress json` (restore.c:counter_thread_func).
import type { RestoreCounters } from './counters.js'
import { formatEta, jsonEvent, percent, progressLines, summaryLine } from './messages.js'

export interface ProgressOptions {
  counters: RestoreCounters
  /** Sum of input sizes when known (directory or file), for percent/ETA. */
  totalBytes: () => number | null
  /** 'text': asrestore's lines through `log`; 'json': one NDJSON object per line through `raw`; 'none'. */
  mode: 'text' | 'json' | 'none'
  /** Writes one INF log line (already formatted by the caller). */
  log: (msg: string) => void
  /** Writes one raw line to stderr. */
  raw: (line: string) => void
  /** Appends one line to the -m file. */
  machine?: (line: string) => void
  /** Print the console lines on ticks too (not only at the end); default true. */
  periodic?: boolean
  /** Milliseconds, monotonic. */
  now?: () => number
  tickMs?: number
}

export class ProgressReporter {
  readonly #o: ProgressOptions
  readonly #start: number
  #ticks = 0
  #timer: NodeJS.Timeout | null = null

  constructor (opts: ProgressOptions) {
    this.#o = opts
    this.#start = this.#now()
  }

  #now (): number { return (this.#o.now ?? (() => performance.now()))() }

  elapsedSec (): number { return (this.#now() - this.#start) / 1000 }

  start (): void {
    this.#timer = setInterval(() => this.tick(), this.#o.tickMs ?? 1000)
    this.#timer.unref()
  }

  stop (): void {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
  }

  /** One 1 s tick: machine lines every tick, console lines on every 10th (starting with the first). */
  tick (): void {
    const c = this.#o.counters
    const total = this.#o.totalBytes()
    const el = this.elapsedSec()
    const pct = percent(c, total)
    if (this.#o.machine !== undefined && pct !== null) {
      this.#o.machine(`PROGRESS:${pct}`)
      const rate = c.bytes / Math.max(el, 1e-3)
      if (rate > 0 && total !== null) this.#o.machine(`REMAINING:${formatEta((total - c.bytes) / rate)}`)
    }
    if (this.#ticks++ % 10 === 0 && this.#o.periodic !== false) this.#print('progress')
  }

  #print (event: 'progress' | 'summary'): void {
    const c = this.#o.counters
    const el = this.elapsedSec()
    if (this.#o.mode === 'text') for (const l of progressLines(c, el, this.#o.totalBytes())) this.#o.log(l)
    else if (this.#o.mode === 'json') this.#o.raw(jsonEvent(event, c, el, this.#o.totalBytes()))
  }

  /** The last tick's lines, then the SUMMARY line in the -m file. */
  final (extra: { [k: string]: unknown } = {}): void {
    this.stop()
    const c = this.#o.counters
    if (this.#o.mode === 'text') for (const l of progressLines(c, this.elapsedSec(), this.#o.totalBytes())) this.#o.log(l)
    else if (this.#o.mode === 'json') this.#o.raw(jsonEvent('summary', c, this.elapsedSec(), this.#o.totalBytes(), extra))
    this.#o.machine?.(summaryLine(c))
  }
}
