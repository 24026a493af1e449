#!/usr/bin/env node
// as-restore: write a backup stream (.asb or typed NDJSON) back to a cluster
// with asrestore's options, policies, counters and messages. All logic is in
// lib/restore/; this file parses flags, connects, and prints.
//
//   -i FILE|- / -d DIR / --directory-list  -> [decrypt] -> [unzstd] -> decode
//     -> filter, TTL -> batch or single-record writes (our wire client)
//   indexes, UDFs, namespace config -> the official aerospike client (info)
import { appendFileSync, readFileSync, realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, readPasswordFromTty, run } from './common.js'
import { AsbError, ErrorCode, UsageError } from '../lib/errors.js'
import { Cluster } from '../lib/client/cluster.js'
import { resolveSecret, tlsOptionsFromArgs } from '../lib/client/tls.js'
import { addConnectionOptions } from './connection.js'
import { keyFromBase64, keyFromPem } from '../lib/crypto/key.js'
import { connectOfficialInfo } from '../lib/restore/aerospike-info.js'
import { createClientWriter } from '../lib/restore/client-writer.js'
import { serverHasBatchWrites } from '../lib/restore/control.js'
import { RestoreCounters } from '../lib/restore/counters.js'
import { createDecodeFn } from '../lib/restore/decode.js'
import type { DecodeOptions } from '../lib/restore/decode.js'
import { listSources } from '../lib/restore/input.js'
import { logLine } from '../lib/restore/messages.js'
import type { LogTag } from '../lib/restore/messages.js'
import { validateRestoreOptions } from '../lib/restore/options.js'
import type { RawRestoreArgs } from '../lib/restore/options.js'
import { writePolicy } from '../lib/restore/policy.js'
import { ProgressReporter } from '../lib/restore/progress.js'
import { runRestore } from '../lib/restore/restore.js'

const NAME = 'as-restore'

/** `--now`: an ISO date or Unix seconds. */
function parseNow (v: string): number {
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v)
  if (!Number.isFinite(ms)) throw new UsageError(`Invalid --now value ${v}`)
  return ms
}

export async function main (argv: string[]): Promise<number> {
  const str = { type: 'string' } as const
  const bool = { type: 'boolean' } as const
  const args = await addConnectionOptions(baseParser(NAME, argv, `$0 [options] (-i FILE|- | -d DIR | --directory-list A,B)

Restore a backup (.asb from asbackup or as-encode, or typed NDJSON from as-scan)
into an Aerospike cluster with asrestore's options, write policies and counters.`)
    .parserConfiguration({ 'boolean-negation': false }), 'Password; no value = prompt; env:VAR, file:PATH or literal')
    .option('namespace', { ...str, alias: 'n', describe: 'src[,dst]: check records are in src; write them to dst' })
    .option('input-file', { ...str, alias: ['i', 'input'], describe: 'Backup file, - for stdin' })
    .option('directory', { ...str, alias: 'd', describe: 'Directory of *.asb files' })
    .option('directory-list', { ...str, describe: 'Comma list of directories' })
    .option('parent-directory', { ...str, describe: 'Prefix for --directory-list entries' })
    .option('compress', { ...str, alias: 'z', describe: 'zstd: the backup is compressed' })
    .option('encrypt', { ...str, alias: 'y', describe: 'aes128 or aes256: the backup is encrypted' })
    .option('encryption-key-file', { ...str, describe: 'PEM private key for -y' })
    .option('encryption-key-env', { ...str, describe: 'Environment variable holding the base64 key for -y' })
    .option('parallel', { ...str, alias: 't', describe: 'Files restored at once in directory mode (20)' })
    .option('threads', { ...str, describe: 'Deprecated alias of --parallel' })
    .option('machine', { ...str, alias: 'm', describe: 'Append machine-readable PROGRESS/REMAINING/SUMMARY lines to this file' })
    .option('bin-list', { ...str, alias: 'B', describe: 'Bins to restore' })
    .option('set-list', { ...str, alias: 's', describe: 'Sets to restore' })
    .option('unique', { ...bool, alias: 'u', describe: 'Only create records (existing ones count as existed)' })
    .option('replace', { ...bool, alias: 'r', describe: 'Replace existing records instead of merging bins' })
    .option('no-generation', { ...bool, alias: 'g', describe: 'Write whatever the server generation' })
    .option('ignore-record-error', { ...bool, describe: 'Count permanent per-record errors as err_ignored and go on' })
    .option('extra-ttl', { ...str, describe: 'Seconds added to the expiration of expiring records' })
    .option('nice', { ...str, alias: 'N', describe: 'MiB/s,TPS throttle' })
    .option('no-records', { ...bool, alias: 'R', describe: 'Do not restore records' })
    .option('no-indexes', { ...bool, alias: 'I', describe: 'Do not restore secondary indexes' })
    .option('indexes-last', { ...bool, alias: 'L', describe: 'Create indexes after the records' })
    .option('no-udfs', { ...bool, alias: 'F', describe: 'Do not restore UDFs' })
    .option('wait', { ...bool, alias: 'w', describe: 'Wait for index builds and UDF propagation' })
    .option('validate', { ...bool, describe: 'Parse only; no cluster connection' })
    .option('dry-run', { ...bool, describe: 'Connect, check, decode, filter and count; write nothing' })
    .option('timeout', { ...str, alias: 'T', describe: 'Connection/info timeout and default write timeout, ms (10000)' })
    .option('socket-timeout', { ...str, describe: 'Socket timeout, ms (10000)' })
    .option('total-timeout', { ...str, describe: 'Write total timeout, ms (0: --timeout)' })
    .option('max-retries', { ...str, describe: 'Retries of a failed write call (5)' })
    .option('retry-scale-factor', { ...str, describe: 'Back-off base, µs (150000)' })
    .option('sleep-between-retries', { ...str, describe: 'Deprecated, no effect' })
    .option('retry-delay', { ...str, describe: 'Deprecated, no effect' })
    .option('disable-batch-writes', { ...bool, describe: 'Single-record writes even when the server has batch writes' })
    .option('max-async-batches', { ...str, describe: 'Batches in flight (32)' })
    .option('batch-size', { ...str, describe: 'Records per batch (128; 16 without batch writes)' })
    .option('event-loops', { ...str, describe: 'Accepted for compatibility; no effect' })
    .option('progress', { choices: ['text', 'json', 'none'] as const, describe: 'Progress on stderr: asrestore lines (default on a terminal), NDJSON events, or none' })
    .option('now', { ...str, describe: 'Take this time (ISO 8601 or Unix seconds) as now for expirations' })
    .strictCommands()
    .parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return 0
  const positional = (args._ as unknown[]).filter((x) => x !== undefined)
  if (positional.length > 0) throw new UsageError(`Unexpected trailing argument ${String(positional[0])}`)

  const a = args as unknown as { [k: string]: string | boolean | undefined }
  const s = (k: string): string | undefined => a[k] as string | undefined
  const b = (k: string): boolean => a[k] === true
  const verbose = b('verbose')
  const stderr = process.stderr
  const log = (tag: LogTag, msg: string): void => {
    if (tag === 'VER' && !verbose) return
    stderr.write(logLine(tag, msg, new Date(), process.pid) + '\n')
  }
  if (s('threads') !== undefined) log('ERR', "WARNING: '--threads' option is deprecated, use `--parallel` instead")
  if (s('sleep-between-retries') !== undefined || s('retry-delay') !== undefined) {
    log('INF', 'Warning: `--sleep-between-retries` is deprecated and has no effect, use `--retry-scale-factor` to configure the amount to back off when retrying transactions.')
  }
  const raw: RawRestoreArgs = {
    host: s('host'),
    port: s('port'),
    namespace: s('namespace'),
    directory: s('directory'),
    directoryList: s('directory-list'),
    parentDirectory: s('parent-directory'),
    inputFile: s('input-file'),
    parallel: s('parallel') ?? s('threads'),
    binList: s('bin-list'),
    setList: s('set-list'),
    unique: b('unique'),
    replace: b('replace'),
    noGeneration: b('no-generation'),
    ignoreRecordError: b('ignore-record-error'),
    extraTtl: s('extra-ttl'),
    nice: s('nice'),
    noRecords: b('no-records'),
    noIndexes: b('no-indexes'),
    indexesLast: b('indexes-last'),
    noUdfs: b('no-udfs'),
    wait: b('wait'),
    validate: b('validate'),
    dryRun: b('dry-run'),
    timeout: s('timeout'),
    socketTimeout: s('socket-timeout'),
    totalTimeout: s('total-timeout'),
    maxRetries: s('max-retries'),
    retryScaleFactor: s('retry-scale-factor'),
    disableBatchWrites: b('disable-batch-writes'),
    maxAsyncBatches: s('max-async-batches'),
    batchSize: s('batch-size'),
    compress: s('compress'),
    encrypt: s('encrypt'),
    encryptionKeyFile: s('encryption-key-file'),
    encryptionKeyEnv: s('encryption-key-env')
  }
  const opts = validateRestoreOptions(raw)
  const nowMs = s('now') !== undefined ? parseNow(s('now')!) : null
  const now = nowMs === null ? () => Date.now() : () => nowMs

  const decodeOpts: DecodeOptions = {}
  if (raw.compress === 'zstd') decodeOpts.compress = 'zstd'
  if (raw.encrypt !== undefined) {
    const file = raw.encryptionKeyFile
    const key = file !== undefined
      ? keyFromPem(readFileSync(file), file)
      : keyFromBase64(process.env[raw.encryptionKeyEnv!] ?? '', `environment variable ${raw.encryptionKeyEnv!}`)
    decodeOpts.encrypt = { mode: raw.encrypt as 'aes128' | 'aes256', key }
  }

  const host = raw.host ?? '127.0.0.1'
  const port = raw.port === undefined ? 3000 : Number(raw.port)
  const srcDesc = opts.input.kind === 'stdin' ? '[stdin]' : opts.input.kind === 'file' ? opts.input.path : (raw.directory ?? '(null)')
  if (opts.validate) log('INF', `Starting validation of ${srcDesc}`)
  else log('INF', `Starting restore to ${host} (bins: ${opts.bins === null ? '[all]' : opts.bins.join(',')}, sets: ${opts.sets === null ? '[all]' : opts.sets.join(',')}) from ${srcDesc}`)

  const { sources, directories } = await listSources(opts.input, () => process.stdin)
  for (const d of directories) log('INF', `Found ${d.count} backup file(s) in ${d.dir}`)
  const knownSizes = sources.every((x) => x.size !== null)
  const totalBytes = knownSizes ? sources.reduce((n, x) => n + (x.size ?? 0), 0) : null

  const machinePath = s('machine')
  const counters = new RestoreCounters()
  const progressMode = (s('progress') as 'text' | 'json' | 'none' | undefined) ?? 'text'
  const progress = new ProgressReporter({
    counters,
    totalBytes: () => totalBytes,
    mode: progressMode,
    log: (m) => log('INF', m),
    raw: (l) => { stderr.write(l + '\n') },
    machine: machinePath === undefined ? undefined : (l) => { appendFileSync(machinePath, l + '\n') },
    // periodic lines only when someone watches (a terminal) or asked for them
    periodic: s('progress') !== undefined ? progressMode !== 'none' : stderr.isTTY === true
  })
  if (s('progress') !== undefined || stderr.isTTY === true || machinePath !== undefined) progress.start()

  let cluster: Cluster | null = null
  let info: Awaited<ReturnType<typeof connectOfficialInfo>> | null = null
  try {
    let writer = null
    let batchWrites = false
    if (!opts.validate) {
      const tls = tlsOptionsFromArgs(a, process.env)
      const user = s('user')
      // -P without a value prompts on the terminal, as asrestore does
      const password = s('password') === undefined ? undefined : s('password') === '' ? readPasswordFromTty() : resolveSecret(s('password')!, process.env)
      const auth = s('auth')?.toUpperCase()
      info = await connectOfficialInfo({
        hosts: host, port, user, password, auth, tls, tlsName: s('tls-name'), servicesAlternate: b('services-alternate'), timeoutMs: opts.timeout
      })
      batchWrites = !opts.disableBatchWrites && await serverHasBatchWrites(info)
      log('VER', batchWrites ? 'Using batch writes' : 'Using single-record writes')
      if (!opts.dryRun && !opts.noRecords) {
        const perNode = batchWrites ? opts.maxAsyncBatches : opts.maxAsyncBatches * (opts.batchSize ?? 16)
        cluster = await Cluster.connect({
          hosts: host,
          defaultPort: port,
          tls,
          auth: user === undefined ? undefined : { mode: auth as 'INTERNAL' | undefined, user, password },
          servicesAlternate: b('services-alternate'),
          connectTimeoutMs: opts.timeout,
          infoTimeoutMs: opts.timeout,
          maxConnectionsPerNode: Math.max(4, Math.min(perNode, 256))
        })
        writer = createClientWriter(cluster, {
          policy: writePolicy(opts),
          timeoutMs: opts.totalTimeout > 0 ? opts.totalTimeout : opts.timeout,
          maxInFlight: Math.max(1, opts.maxAsyncBatches * (opts.batchSize ?? 16))
        })
      }
    }
    log('INF', 'Restoring records')
    const interrupt = new AbortController()
    const onSignal = (): void => { interrupt.abort() }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    await runRestore(opts, {
      signal: interrupt.signal,
      sources,
      decode: createDecodeFn(decodeOpts),
      writer,
      control: info,
      batchWrites,
      now,
      log,
      counters
    })
    log('INF', `Finished ${opts.validate ? 'validating' : 'restoring'} backup file(s)`)
    progress.final({ ok: true })
    return 0
  } catch (err) {
    progress.final({ ok: false, error: (err as Error).message })
    if (err instanceof AsbError) throw err
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ASB_ERR')) throw err
    throw new AsbError(ErrorCode.IO, (err as Error).message, { cause: err })
  } finally {
    progress.stop()
    cluster?.close()
    info?.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
