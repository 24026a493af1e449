// The resumable scan state: a portable JSON file (not asbackup's native
// memory dump, asb-format.md §6), replaced atomically (write a temporary file
// beside it, then rename) so a reader never sees half a state.
//
// It records what has been *committed*, i.e. handed to the output (the kernel)
// in full: per partition the last digest written ("after" D: the server resumes
// with the digests strictly below D) or "done"; the counters; the byte length
// of a file output at that point; and the options that must be repeated.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { AsbError, ErrorCode, UsageError } from '../errors.js'
import { MAX_PARTITIONS, type PartitionFilter } from './parse.js'
import { partitionId } from '../proto/digest.js'

export const STATE_FORMAT = 'as-scan-state'
export const STATE_VERSION = 1

/** The options a resumed scan must repeat, compared key by key. */
export type Fingerprint = Record<string, string | number | boolean | null | string[]>

export interface Counters {
  records: number
  bytes: number
  indexes: number
  udfs: number
}

export interface ScanStateJson {
  format: typeof STATE_FORMAT
  version: number
  namespace: string
  options: Fingerprint
  /** The partition filters of the first run (node-list mode keeps them). */
  filters: Array<{ begin: number, count: number, digest?: string }>
  /** Partition id -> base64 digest of the last record written, or "done". */
  partitions: Record<string, string>
  counts: Counters
  /** -o FILE: path and committed byte length; null for stdout. */
  output: { path: string | null, bytes: number }
  /** Header, indexes and UDFs were written. */
  globalsDone: boolean
  /** Every partition is done. */
  complete: boolean
  updated: string
}

/** Live state: what is committed so far. */
export class ScanState {
  readonly namespace: string
  readonly options: Fingerprint
  readonly filters: PartitionFilter[]
  /** pid -> last committed digest */
  readonly after = new Map<number, Buffer>()
  readonly done = new Set<number>()
  counts: Counters = { records: 0, bytes: 0, indexes: 0, udfs: 0 }
  outputPath: string | null
  outputBytes = 0
  globalsDone = false
  complete = false

  constructor (namespace: string, options: Fingerprint, filters: PartitionFilter[], outputPath: string | null) {
    this.namespace = namespace
    this.options = options
    this.filters = filters
    this.outputPath = outputPath
  }

  /** Record a committed record of partition `pid` (digests descend within a partition). */
  commitDigest (digest: Buffer): void {
    this.after.set(partitionId(digest), digest)
  }

  markDone (pids: Iterable<number>): void {
    for (const p of pids) this.done.add(p)
  }

  /**
   * Where a partition of `f` starts: null = skip (done), undefined = from the
   * beginning, else after that digest.
   */
  startOf (pid: number, f: PartitionFilter): Buffer | null | undefined {
    if (this.done.has(pid)) return null
    const d = this.after.get(pid)
    if (d !== undefined) return d
    return f.digest
  }

  toJSON (): ScanStateJson {
    const partitions: Record<string, string> = {}
    for (const [p, d] of this.after) partitions[String(p)] = d.toString('base64')
    for (const p of this.done) partitions[String(p)] = 'done'
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      namespace: this.namespace,
      options: this.options,
      filters: this.filters.map(f => f.digest !== undefined ? { begin: f.begin, count: f.count, digest: f.digest.toString('base64') } : { begin: f.begin, count: f.count }),
      partitions,
      counts: { ...this.counts },
      output: { path: this.outputPath, bytes: this.outputBytes },
      globalsDone: this.globalsDone,
      complete: this.complete,
      updated: new Date().toISOString()
    }
  }

  static fromJSON (j: ScanStateJson): ScanState {
    const filters = j.filters.map(f => f.digest !== undefined ? { begin: f.begin, count: f.count, digest: Buffer.from(f.digest, 'base64') } : { begin: f.begin, count: f.count })
    const s = new ScanState(j.namespace, j.options, filters, j.output.path)
    for (const [k, v] of Object.entries(j.partitions)) {
      const pid = Number(k)
      if (v === 'done') s.done.add(pid)
      else s.after.set(pid, Buffer.from(v, 'base64'))
    }
    s.counts = { ...j.counts }
    s.outputBytes = j.output.bytes
    s.globalsDone = j.globalsDone
    s.complete = j.complete
    return s
  }
}

/** Write the state atomically: temporary file, fsync, rename over `path`. Synchronous (safe in signal handlers). */
export function saveState (path: string, state: ScanState): void {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o644)
  try {
    writeSync(fd, JSON.stringify(state.toJSON(), null, 1) + '\n')
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

function bad (path: string, what: string): never {
  throw new AsbError(ErrorCode.PARSE, `${path}: not a usable as-scan state file: ${what}`)
}

const B64_DIGEST = /^[A-Za-z0-9+/]{27}=$/

/** Read and check a state file (structure, digests in their own partitions). */
export function loadState (path: string): ScanState {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new AsbError(ErrorCode.IO, `cannot read state file ${path}: ${(err as Error).message}`, { cause: err })
  }
  let j: ScanStateJson
  try {
    j = JSON.parse(text) as ScanStateJson
  } catch (err) {
    return bad(path, `invalid JSON (${(err as Error).message})`)
  }
  if (j === null || typeof j !== 'object' || j.format !== STATE_FORMAT) return bad(path, `expected "format": "${STATE_FORMAT}"`)
  if (j.version !== STATE_VERSION) return bad(path, `unsupported version ${String(j.version)}`)
  if (typeof j.namespace !== 'string' || typeof j.options !== 'object' || j.options === null) return bad(path, 'missing namespace or options')
  if (!Array.isArray(j.filters)) return bad(path, 'missing filters')
  for (const f of j.filters) {
    if (!Number.isInteger(f.begin) || !Number.isInteger(f.count) || f.begin < 0 || f.count < 0 || f.begin + f.count > MAX_PARTITIONS) return bad(path, 'bad partition filter')
    if (f.digest !== undefined && !B64_DIGEST.test(f.digest)) return bad(path, 'bad filter digest')
  }
  if (typeof j.partitions !== 'object' || j.partitions === null) return bad(path, 'missing partitions')
  for (const [k, v] of Object.entries(j.partitions)) {
    const pid = Number(k)
    if (!Number.isInteger(pid) || pid < 0 || pid >= MAX_PARTITIONS) return bad(path, `bad partition id ${k}`)
    if (v === 'done') continue
    if (typeof v !== 'string' || !B64_DIGEST.test(v)) return bad(path, `bad digest for partition ${k}`)
    if (partitionId(Buffer.from(v, 'base64')) !== pid) return bad(path, `digest ${v} is not in partition ${k}`)
  }
  const c = j.counts
  if (c === undefined || ![c.records, c.bytes, c.indexes, c.udfs].every(n => Number.isSafeInteger(n) && n >= 0)) return bad(path, 'bad counts')
  if (j.output === undefined || !Number.isSafeInteger(j.output.bytes) || j.output.bytes < 0) return bad(path, 'bad output')
  return ScanState.fromJSON(j)
}

/** The first option that differs between a saved and the current fingerprint, as a UsageError. */
export function checkFingerprint (statePath: string, saved: Fingerprint, current: Fingerprint): void {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)])
  for (const k of keys) {
    const a = JSON.stringify(saved[k] ?? null)
    const b = JSON.stringify(current[k] ?? null)
    if (a !== b) {
      throw new UsageError(`--continue ${statePath}: option ${k} differs from the interrupted run (was ${a}, now ${b}); repeat the same options`)
    }
  }
}
