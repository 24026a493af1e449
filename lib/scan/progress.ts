// Progress and summary output (asb-format.md §10): a refreshed line on a
// terminal, NDJSON events with --progress json, asbackup's machine lines
// (PROGRESS:, REMAINING:, SUMMARY:) with -m FILE, and the final summary line.
import { appendFileSync } from 'node:fs'
import type { Writable } from 'node:stream'
import type { Counters } from './state.js'

/** asbackup's format_eta: `[Nd][Nh][Nm]Ns` without leading zero units, or `>100d`. */
export function formatEta (seconds: number): string {
  if (seconds > 100 * 86400) return '>100d'
  let s = Math.max(0, Math.floor(seconds))
  const units: Array<[number, string]> = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']]
  let out = ''
  for (let i = 0; i < units.length; i++) {
    const [div, label] = units[i]
    const v = Math.floor(s / div)
    if (v === 0 && out === '' && i < 3) continue
    s -= v * div
    out += `${v}${label}`
  }
  return out
}

/** The final line, asbackup's wording: records, indexes, UDFs, bytes. */
export function summaryLine (c: Counters): string {
  const per = c.records > 0 ? Math.floor(c.bytes / c.records) : 0
  return `Backed up ${c.records} record(s), ${c.indexes} secondary index(es), ${c.udfs} UDF file(s), ${c.bytes} byte(s) in total (~${per} B/rec)`
}

/** `SUMMARY:<records>:<indexes>:<udfs>:<bytes>:<bytes_per_record>` */
export function machineSummary (c: Counters): string {
  const per = c.records > 0 ? Math.floor(c.bytes / c.records) : 0
  return `SUMMARY:${c.records}:${c.indexes}:${c.udfs}:${c.bytes}:${per}`
}

export interface ProgressOptions {
  /** Expected records (from namespace/set object counts); 0 = unknown. */
  estimate: number
  /** Refreshed single line (a terminal). */
  tty?: Writable
  /** NDJSON events. */
  json?: Writable
  /** asbackup machine-readable lines, appended. */
  machinePath?: string
  /** Counts already done when this run started (a resumed scan); rates exclude them. */
  startRecords?: number
  startBytes?: number
  /** Clock, ms (tests). */
  now?: () => number
}

export interface ProgressSample {
  records: number
  bytes: number
  percent: number | null
  recordsPerSecond: number
  bytesPerSecond: number
  etaSeconds: number | null
}

export class Progress {
  readonly #o: ProgressOptions
  readonly #now: () => number
  readonly #t0: number
  #ticks = 0
  readonly #base: { records: number, bytes: number }
  #ttyShown = false

  constructor (opts: ProgressOptions) {
    this.#o = opts
    this.#now = opts.now ?? Date.now
    this.#t0 = this.#now()
    this.#base = { records: opts.startRecords ?? 0, bytes: opts.startBytes ?? 0 }
  }

  /** Rates count this run only (a resumed run starts with saved counts). */
  sample (records: number, bytes: number): ProgressSample {
    const secs = Math.max(0.001, (this.#now() - this.#t0) / 1000)
    const rps = (records - this.#base.records) / secs
    const bps = (bytes - this.#base.bytes) / secs
    const est = this.#o.estimate
    const percent = est > 0 ? Math.min(100, Math.floor(records * 100 / est)) : null
    const eta = est > 0 && rps > 0 ? Math.max(0, (est - records) / rps) : null
    return { records, bytes, percent, recordsPerSecond: rps, bytesPerSecond: bps, etaSeconds: eta }
  }

  event (obj: object): void {
    this.#o.json?.write(JSON.stringify(obj) + '\n')
  }

  machine (line: string): void {
    if (this.#o.machinePath !== undefined) appendFileSync(this.#o.machinePath, line + '\n')
  }

  /** Called about once a second. */
  tick (records: number, bytes: number): void {
    const s = this.sample(records, bytes)
    const tick = this.#ticks++
    this.event({ event: 'progress', ...s })
    if (this.#o.tty !== undefined) {
      const pct = s.percent !== null ? `${s.percent}% complete, ` : ''
      const eta = s.etaSeconds !== null ? `, ~${formatEta(s.etaSeconds)} remaining` : ''
      this.#o.tty.write(`\r\x1b[K${pct}${records} record(s), ~${Math.round(s.recordsPerSecond)} rec/s, ~${(s.bytesPerSecond / 1e6).toFixed(1)} MB/s${eta}`)
      this.#ttyShown = true
    }
    // asbackup: every 10th tick starting with the first, only while < 100 %
    if (tick % 10 === 0 && s.percent !== null && s.percent < 100) {
      this.machine(`PROGRESS:${s.percent}`)
      if (s.etaSeconds !== null) this.machine(`REMAINING:${formatEta(s.etaSeconds)}`)
    }
  }

  /** Clear the terminal line before other stderr output. */
  clearLine (): void {
    if (this.#ttyShown) { this.#o.tty?.write('\r\x1b[K'); this.#ttyShown = false }
  }

  finish (c: Counters, extra: object = {}): void {
    this.clearLine()
    this.event({ event: 'summary', ...c, ...extra })
    this.machine(machineSummary(c))
  }
}
