// asrestore's console and machine-readable lines (asb-format.md §10;
// utils.c:log_line, restore.c:counter_thread_func).
import type { RestoreCounters } from './counters.js'

export type LogTag = 'INF' | 'ERR' | 'VER'

/** `2026-08-03 12:00:00 GMT [INF] [12345] message` (strftime of gmtime, thread id % 100000). */
export function logLine (tag: LogTag, message: string, at: Date, tid: number): string {
  const iso = at.toISOString()
  const stamp = `${iso.slice(0, 10)} ${iso.slice(11, 19)} GMT`
  return `${stamp} [${tag}] [${String(tid % 100000).padStart(5, ' ')}] ${message}`
}

/** `[Nd][Nh][Nm]Ns`, leading zero units omitted, or `>100d` (format_eta). */
export function formatEta (seconds: number): string {
  let s = Math.max(0, Math.floor(seconds))
  if (s > 100 * 86400) return '>100d'
  const d = Math.floor(s / 86400); s -= d * 86400
  const h = Math.floor(s / 3600); s -= h * 3600
  const m = Math.floor(s / 60); s -= m * 60
  let out = ''
  if (d > 0) out += `${d}d`
  if (d > 0 || h > 0) out += `${h}h`
  if (d > 0 || h > 0 || m > 0) out += `${m}m`
  return out + `${s}s`
}

export interface Rates {
  /** Seconds since the start (> 0). */
  elapsed: number
}

/** The two (or three) progress lines counter_thread_func prints. */
export function progressLines (c: RestoreCounters, elapsedSec: number, totalBytes: number | null): string[] {
  const el = Math.max(elapsedSec, 1e-3)
  const recRate = Math.floor(c.total / el)
  const kibRate = Math.floor(c.bytes / el / 1024)
  const bPerRec = c.total === 0 ? 0 : Math.floor(c.bytes / c.total)
  const lines = [
    `${c.udfs} UDF file(s), ${c.indexes} secondary index(es), ${c.total} record(s) (${recRate} rec/s, ${kibRate} KiB/s, ${bPerRec} B/rec, retries: ${c.retries})`,
    expiredLine(c)
  ]
  const pct = percent(c, totalBytes)
  if (pct !== null) {
    const rate = c.bytes / el
    const eta = rate > 0 && totalBytes !== null ? (totalBytes - c.bytes) / rate : null
    lines.push(eta === null ? `${pct}% complete` : `${pct}% complete, ~${formatEta(eta)} remaining`)
  }
  return lines
}

/** Exact asrestore spacing: no space before `: failed`, a space before `, fresher`. */
export function expiredLine (c: RestoreCounters): string {
  return `Expired ${c.expired} : skipped ${c.skipped} : err_ignored ${c.ignored} : inserted ${c.inserted}: failed ${c.existed + c.fresher} (existed ${c.existed} , fresher ${c.fresher})`
}

export function percent (c: RestoreCounters, totalBytes: number | null): number | null {
  if (totalBytes === null || totalBytes <= 0) return null
  return Math.min(100, Math.floor(c.bytes * 100 / totalBytes))
}

/** `SUMMARY:<udfs>:<indexes>:<records>:<expired>:<skipped>:<ignored> :<inserted>:<existed>:<fresher>` — the literal space before the 7th field is asrestore's. */
export function summaryLine (c: RestoreCounters): string {
  return `SUMMARY:${c.udfs}:${c.indexes}:${c.total}:${c.expired}:${c.skipped}:${c.ignored} :${c.inserted}:${c.existed}:${c.fresher}`
}

/** One NDJSON event for `--progress json`. */
export function jsonEvent (event: 'progress' | 'summary', c: RestoreCounters, elapsedSec: number, totalBytes: number | null, extra: { [k: string]: unknown } = {}): string {
  return JSON.stringify({
    event,
    elapsed_ms: Math.round(elapsedSec * 1000),
    percent: percent(c, totalBytes),
    ...c.toJSON(),
    ...extra
  })
}
