// The restore run: sources -> decode -> filter/TTL -> uploader, with global
// lines (indexes, UDFs) handled inline or last (asb-format.md §9).
//
//   source(s) ──ByteCounter──decode──► tokens ─┬─ header  : namespace check/remap
//   (-t files at once in directory mode)       ├─ sindex  : restoreIndex now, or collect (-L)
//                                              ├─ udf     : putUdf now
//                                              └─ record  : TTL, set/bin filter, nsup check
//                                                           └─► Uploader (batches in flight)
import { pipeline } from 'node:stream'
import type { Readable } from 'node:stream'
import { AsbError, ErrorCode } from '../errors.js'
import { nameToString } from '../name.js'
import type { Name, Record, SIndex, Token, Udf } from '../types.js'
import { namespaceConfig, putUdf, restoreIndex, ttlForbidden, waitIndex, waitUdf } from './control.js'
import type { InfoClient } from './control.js'
import { RestoreCounters } from './counters.js'
import { RecordFilter } from './filter.js'
import { ByteCounter } from './input.js'
import type { Source } from './input.js'
import type { RestoreOptions } from './options.js'
import { sendKey, writePolicy } from './policy.js'
import { Throttle, recordBytes } from './throttle.js'
import { clepochNow, restoreTtl } from './ttl.js'
import { Uploader } from './uploader.js'
import type { RecordWriter } from './writer.js'

export type DecodeFn = (input: Readable, file: string) => AsyncIterable<Token>

export interface RestoreDeps {
  sources: Source[]
  /** Bytes -> tokens (format auto-detected; decompression/decryption included). */
  decode: DecodeFn
  /** null with --validate and --dry-run. */
  writer: RecordWriter | null
  /** null with --validate. */
  control: InfoClient | null
  /** Whether batch writes are used (server support and not --disable-batch-writes). */
  batchWrites: boolean
  /** Unix ms; the TTL reference (inject a fixed time in tests). */
  now: () => number
  /** One INF/ERR/VER message. */
  log: (tag: 'INF' | 'ERR' | 'VER', msg: string) => void
  counters?: RestoreCounters
  sleep?: (ms: number) => Promise<void>
  /** Index re-check pause after a remove (1000 ms). */
  indexSleepMs?: number
  /** Index/UDF --wait poll interval (500 ms). */
  waitPollMs?: number
  /** Stops reading (SIGINT/SIGTERM); writes in flight are still answered and counted. */
  signal?: AbortSignal
}

export interface RestoreResult {
  counters: RestoreCounters
}

export async function runRestore (opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreResult> {
  const c = deps.counters ?? new RestoreCounters()
  const filter = new RecordFilter({ namespace: opts.namespace, sets: opts.sets, bins: opts.bins })
  const policy = writePolicy(opts)
  const control = deps.control
  const writing = deps.writer !== null && !opts.validate && !opts.dryRun
  const batchSize = opts.batchSize ?? (deps.batchWrites ? 128 : 16)
  const uploader = writing
    ? new Uploader({
      writer: deps.writer!,
      counters: c,
      batchWrites: deps.batchWrites,
      batchSize,
      maxInFlight: opts.maxAsyncBatches,
      maxRetries: opts.maxRetries,
      retryScaleFactor: opts.retryScaleFactor,
      ignoreRecordError: opts.ignoreRecordError,
      sleep: deps.sleep,
      onIgnored: (item, code) => deps.log('VER', `Ignoring record error ${code} for digest ${item.record.digest.toString('base64')}`)
    })
    : null
  const throttle = opts.nice === null ? null : new Throttle({ ...opts.nice, sleep: deps.sleep })

  // namespace/<ns> is read once per target namespace, before its first expiring record
  const ttlChecks = new Map<string, Promise<boolean>>()
  let ttlWarned = false
  const ttlAllowed = async (ns: Name): Promise<boolean> => {
    if (control === null) return true
    const key = nameToString(ns)
    let p = ttlChecks.get(key)
    if (p === undefined) {
      p = namespaceConfig(control, key).then((cfg) => !ttlForbidden(cfg))
      ttlChecks.set(key, p)
    }
    return await p
  }
  if (control !== null && opts.namespace !== null) {
    const have = (await control.info('namespaces')).split(';').filter((x) => x !== '')
    if (!have.includes(opts.namespace.dst)) {
      throw new AsbError(ErrorCode.INVALID, `Namespace ${opts.namespace.dst} does not exist on the cluster (it has: ${have.join(', ')})`)
    }
  }
  if (control !== null && opts.namespace !== null && !opts.noRecords) {
    // say so before anything is written
    if (!await ttlAllowed(opts.namespace.dst)) {
      deps.log('INF', `Namespace ${opts.namespace.dst} has nsup-period 0 and allow-ttl-without-nsup false: records with an expiration cannot be restored into it (FAIL_FORBIDDEN)`)
      ttlWarned = true
    }
  }

  // index and UDF work is serialised (one control-plane conversation at a time)
  let globalChain: Promise<void> = Promise.resolve()
  const serial = (fn: () => Promise<void>): Promise<void> => {
    const next = globalChain.then(fn)
    globalChain = next.catch(() => {})
    return next
  }
  const lastIndexes: SIndex[] = []
  const createdIndexes: SIndex[] = []
  const udfs: Udf[] = []

  const doIndex = async (idx: SIndex): Promise<void> => {
    const outcome = await restoreIndex(control!, idx, { sleepMs: deps.indexSleepMs, sleep: deps.sleep })
    if (outcome === 'matched') c.matchedIndexes++
    else createdIndexes.push(idx)
    deps.log('VER', `Index ${nameToString(idx.name)}: ${outcome}`)
  }

  const onSindex = async (raw: SIndex): Promise<void> => {
    c.indexes++
    if (opts.noIndexes) return
    const idx = filter.sindex(raw)
    if (idx === null) { c.skippedIndexes++; return }
    if (control === null || opts.dryRun) return
    if (opts.indexesLast) { lastIndexes.push(idx); return }
    await serial(() => doIndex(idx))
  }

  const onUdf = async (udf: Udf): Promise<void> => {
    c.udfs++
    if (opts.noUdfs || control === null || opts.dryRun) return
    deps.log('INF', `Restoring UDF file ${nameToString(udf.name)} (size ${udf.content.length})`)
    udfs.push(udf)
    await serial(() => putUdf(control, udf))
  }

  // ttlAllowed() answers from this cache after the first look-up per namespace
  const ttlKnown = new Map<string, boolean>()

  /** Records stay synchronous unless something must be awaited (no promise per record). */
  const onRecord = (raw: Record): Promise<void> | undefined => {
    c.total++
    if (opts.noRecords) { c.skipped++; return undefined }
    const t = restoreTtl(raw.voidTime, clepochNow(deps.now()), opts.extraTtl)
    if (t.expired) { c.expired++; return undefined }
    let rec: Record | null
    try {
      rec = filter.record(raw)
    } catch (err) {
      c.failed++ // a record of the wrong namespace ends the run
      throw err
    }
    if (rec === null) { c.skipped++; return undefined }
    if (t.ttl !== -1 && control !== null) {
      const known = ttlKnown.get(nameToString(rec.namespace))
      if (known === undefined) return checkTtlThenWrite(rec, t.ttl)
      if (!known) { refuseTtl(rec); return undefined }
    }
    return write(rec, t.ttl)
  }

  const checkTtlThenWrite = async (rec: Record, ttl: number): Promise<void> => {
    const ok = await ttlAllowed(rec.namespace)
    ttlKnown.set(nameToString(rec.namespace), ok)
    if (!ok) { refuseTtl(rec); return }
    await write(rec, ttl)
  }

  const refuseTtl = (rec: Record): void => {
    const ns = nameToString(rec.namespace)
    if (!opts.ignoreRecordError) {
      c.failed++
      throw new AsbError(ErrorCode.INVALID, `Namespace ${ns} has nsup-period 0 and allow-ttl-without-nsup false: the backup carries records with an expiration, which the server refuses (FAIL_FORBIDDEN); set nsup-period or allow-ttl-without-nsup true, or use --ignore-record-error to skip them`)
    }
    if (!ttlWarned) {
      deps.log('INF', `Namespace ${ns} refuses records with an expiration (nsup-period 0, allow-ttl-without-nsup false): counting them as err_ignored`)
      ttlWarned = true
    }
    c.ignored++
  }

  const write = (rec: Record, ttl: number): Promise<void> | undefined => {
    if (uploader === null) { c.wouldWrite++; return undefined }
    const item = { record: rec, ttl, policy, sendKey: sendKey(rec) }
    if (throttle !== null) return throttle.take(recordBytes(rec)).then(() => uploader.add(item))
    return uploader.add(item)
  }

  const runSource = async (src: Source): Promise<void> => {
    deps.log('INF', `Opened backup file ${src.name}`)
    const counter = new ByteCounter((n) => { c.bytes += n })
    const input = src.open()
    pipeline(input, counter, () => {})
    try {
      await decodeAll(counter, src.name)
    } finally {
      input.destroy()
    }
  }

  const decodeAll = async (counter: ByteCounter, name: string): Promise<void> => {
    for await (const tok of deps.decode(counter, name)) {
      switch (tok.kind) {
        case 'header': filter.header(tok); break
        case 'sindex': await onSindex(tok); break
        case 'udf': await onUdf(tok); break
        case 'record': { const p = onRecord(tok); if (p !== undefined) await p; break }
      }
      if (uploader?.fatal != null) throw uploader.fatal
      if (deps.signal?.aborted === true) throw new AsbError(ErrorCode.INTERRUPTED, 'Restore interrupted')
    }
  }

  let failure: unknown = null
  try {
    // directory mode: -t files at once; a single file or stdin: one reader
    const queue = deps.sources.slice()
    const workers = Math.max(1, Math.min(opts.parallel, queue.length))
    await Promise.all(Array.from({ length: workers }, async () => {
      for (;;) {
        if (failure !== null) return
        const src = queue.shift()
        if (src === undefined) return
        try {
          await runSource(src)
        } catch (err) {
          failure ??= err
          return
        }
      }
    }))
  } finally {
    if (uploader !== null) {
      try { await uploader.flush() } catch (err) { failure ??= err }
    }
    await globalChain
  }
  if (failure !== null) throw failure

  if (control !== null && !opts.dryRun) {
    for (const idx of lastIndexes) await doIndex(idx)
    if (opts.wait) {
      for (const idx of createdIndexes) await waitIndex(control, idx.namespace, idx.name, deps.waitPollMs, deps.sleep)
      for (const udf of udfs) await waitUdf(control, udf, deps.waitPollMs, deps.sleep)
    }
  }
  if (c.skippedIndexes > 0) deps.log('INF', `Skipped ${c.skippedIndexes} index(es) with unwanted set(s)`)
  if (c.matchedIndexes > 0) deps.log('INF', `Skipped ${c.matchedIndexes} matched index(es)`)
  return { counters: c }
}
