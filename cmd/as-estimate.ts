#!/usr/bin/env node
// as-estimate: asbackup's --estimate as its own binary. How many records, how
// big each one is in .asb, and how big the backup file will be (after -z/-y),
// from a sample of records taken from partitions picked uniformly at random.
import { appendFileSync, realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { baseParser, makeLog, readPasswordFromTty, run } from './common.js'
import { AsbError, ErrorCode, EXIT_OK, UsageError } from '../lib/errors.js'
import { Cluster } from '../lib/client/cluster.js'
import { keyFromBase64, keyFromPem, type KeyMaterial } from '../lib/crypto/key.js'
import { ENCRYPT_MODES, type EncryptMode } from '../lib/crypto/stream.js'
import { ZSTD_MAX_LEVEL, ZSTD_MIN_LEVEL } from '../lib/compress/constants.js'
import { buildScanConfig, type RawScanArgs } from '../lib/scan/options.js'
import { parseIntOption } from '../lib/scan/parse.js'
import { connectionFrom } from '../lib/estimate/connection.js'
import { addConnectionOptions, addScanTimeoutOptions } from './connection.js'
import { DEFAULT_SAMPLES, runEstimate, type Sampling } from '../lib/estimate/estimate.js'
import { estimateJson, estimateLines, machineLine } from '../lib/estimate/report.js'
import { readFileSync } from 'node:fs'

const NAME = 'as-estimate'
const str = { type: 'string' } as const
const bool = { type: 'boolean', default: undefined } as const

/** Selection options asbackup -e accepts but leaves out of the calculation (it warns; so do we). */
const IGNORED = ['filter-exp', 'node-list', 'modified-after', 'modified-before', 'no-ttl-only', 'after-digest', 'partition-list']

function parser (argv: string[]) {
  const y = baseParser(NAME, argv, '$0 -n NAMESPACE [-s SETS] [--estimate-samples N] [-z zstd] [-y MODE --encryption-key-file PEM] [--json | -m FILE]\n\n' +
    'Estimate the record count, the .asb record size and the backup file size of a namespace (asbackup --estimate), ' +
    'from records of partitions sampled uniformly at random.')
    .parserConfiguration({ 'camel-case-expansion': false, 'boolean-negation': false })
    .strict(false).strictOptions(true)
  return addScanTimeoutOptions(addConnectionOptions(y))
    .option('namespace', { ...str, alias: 'n', describe: 'Namespace (required)' })
    .option('set', { ...str, alias: 's', describe: 'Set(s), comma separated; quote names holding commas' })
    .option('bin-list', { ...str, alias: 'B', describe: 'Only these bins, comma separated' })
    .option('no-indexes', { ...bool, alias: 'I', describe: 'No secondary index definitions in the header' })
    .option('no-udfs', { ...bool, alias: 'u', describe: 'No UDF modules in the header' })
    .option('max-records', { ...str, alias: 'M', describe: 'Cap the record count at this (0 = none)' })
    .option('compact', { ...bool, alias: 'C', describe: 'Measure .asb --compact records' })
    .option('modified-after', { ...str, alias: 'a', describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('modified-before', { ...str, alias: 'b', describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('no-ttl-only', { ...bool, describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('partition-list', { ...str, alias: 'X', describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('after-digest', { ...str, alias: 'D', describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('node-list', { ...str, alias: 'l', describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('filter-exp', { ...str, alias: 'f', describe: 'Accepted, ignored in the calculation (as asbackup)' })
    .option('estimate-samples', { ...str, describe: `Records to measure (${DEFAULT_SAMPLES})` })
    .option('estimate', { ...bool, alias: 'e', describe: 'Accepted for asbackup compatibility (always on)' })
    .option('sampling', { ...str, describe: 'random (default: whole partitions in random order) or first (asbackup: the first N records)' })
    .option('seed', { ...str, describe: 'Seed of the random partition order (repeatable runs)' })
    .option('compress', { ...str, alias: 'z', describe: 'zstd: measure the compressed size' })
    .option('compression-level', { ...str, describe: 'zstd level (3)' })
    .option('encrypt', { ...str, alias: 'y', describe: 'aes128 | aes256 | aes256-gcm: measure the encrypted size' })
    .option('encryption-key-file', { ...str, describe: 'PEM private key (as as-encrypt)' })
    .option('encryption-key-env', { ...str, describe: 'Variable holding the base64 DER key (as as-encrypt)' })
    .option('machine', { ...str, alias: 'm', describe: 'Append ESTIMATE:<records>:<record size> to FILE (- = stdout)' })
    .option('json', { ...bool, describe: 'One JSON object on stdout instead of the text lines' })
}

function key (a: { [k: string]: unknown }, env: NodeJS.ProcessEnv): KeyMaterial {
  const file = a['encryption-key-file'] as string | undefined
  const envName = a['encryption-key-env'] as string | undefined
  if (file !== undefined && envName !== undefined) throw new UsageError('give either --encryption-key-file or --encryption-key-env, not both')
  if (envName !== undefined) {
    const v = env[envName]
    if (v === undefined || v === '') throw new UsageError(`environment variable ${envName} is not set or empty`)
    return keyFromBase64(v, `$${envName}`)
  }
  if (file === undefined) throw new UsageError(`-y ${String(a.encrypt)} needs a key: --encryption-key-file PEM or --encryption-key-env VAR`)
  let pem: Buffer
  try { pem = readFileSync(file) } catch (err) {
    throw new AsbError(ErrorCode.CRYPTO, `cannot read key file ${file}: ${(err as { code?: string }).code ?? String(err)}`)
  }
  return keyFromPem(pem, file)
}

export async function main (argv: string[]): Promise<number> {
  const args = await parser(argv).parseAsync()
  if (argv.includes('--help') || argv.includes('--version')) return EXIT_OK
  const a = args as unknown as RawScanArgs & { [k: string]: unknown }
  const log = makeLog(NAME, args.verbose)
  const cfg = buildScanConfig({ ...a, format: 'asb' })
  const s = (k: string): string | undefined => typeof a[k] === 'string' ? a[k] as string : undefined
  for (const k of IGNORED) if (a[k] !== undefined) log.error(`warning: --${k} is ignored in the estimate (as asbackup)`)
  const samples = s('estimate-samples') === undefined ? DEFAULT_SAMPLES : parseIntOption(s('estimate-samples')!, 'estimate-samples', 1, 4294967295)
  const sampling = (s('sampling') ?? 'random').toLowerCase()
  if (sampling !== 'random' && sampling !== 'first') throw new UsageError(`Invalid sampling ${s('sampling') ?? ''} (expected random or first)`)
  const seed = s('seed') === undefined ? undefined : parseIntOption(s('seed')!, 'seed', 0, 4294967295)
  if (seed !== undefined && sampling === 'first') throw new UsageError('--seed applies to --sampling random only')
  const z = s('compress')
  if (z !== undefined && z !== 'zstd') throw new UsageError(`unsupported compression "${z}": only zstd (as asbackup)`)
  const level = s('compression-level') === undefined ? undefined : parseIntOption(s('compression-level')!, 'compression level', ZSTD_MIN_LEVEL, ZSTD_MAX_LEVEL)
  if (level !== undefined && z === undefined) throw new UsageError('--compression-level needs -z zstd')
  const y = s('encrypt')
  if (y !== undefined && !(ENCRYPT_MODES as readonly string[]).includes(y)) throw new UsageError(`Invalid encryption ${y} (expected ${ENCRYPT_MODES.join(', ')})`)
  if (y === undefined && (a['encryption-key-file'] !== undefined || a['encryption-key-env'] !== undefined)) throw new UsageError('a key needs a mode: add -y aes128, -y aes256 or -y aes256-gcm')
  const encrypt = y === undefined ? null : { mode: y as EncryptMode, key: key(a, process.env) }
  if (a.json === true && s('machine') === '-') throw new UsageError('--json and -m - both write to stdout; give -m a FILE')
  const conn = connectionFrom(a, process.env, readPasswordFromTty)

  const cluster = await Cluster.connect(conn.cluster)
  let result
  try {
    result = await runEstimate(cluster, {
      namespace: cfg.namespace,
      sets: cfg.sets,
      bins: cfg.binList,
      samples,
      sampling: sampling as Sampling,
      seed,
      maxRecords: cfg.maxRecords,
      noIndexes: cfg.noIndexes,
      noUdfs: cfg.noUdfs,
      compact: cfg.compact,
      compress: z === undefined ? null : { level },
      encrypt,
      socketTimeoutMs: conn.socketTimeoutMs,
      totalTimeoutMs: conn.totalTimeoutMs,
      maxRetries: conn.maxRetries,
      retryDelayMs: conn.retryDelayMs,
      log: log.verbose
    })
  } finally {
    cluster.close()
  }
  const machine = s('machine')
  if (machine === '-') process.stdout.write(machineLine(result))
  else {
    if (machine !== undefined) appendFileSync(machine, machineLine(result))
    process.stdout.write(a.json === true ? JSON.stringify(estimateJson(result)) + '\n' : estimateLines(result).join('\n') + '\n')
  }
  return EXIT_OK
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) run(NAME, main)
