// asrestore's option semantics and validation (asb-format.md §9.1), with the
// exact messages of restore_config.c so operators recognise them. cmd/ parses
// argv with yargs into RawRestoreArgs; everything after that is here.
import { UsageError } from '../errors.js'

/** Defaults from restore_config.c:restore_config_init. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 3000,
  parallel: 20,
  timeout: 10000,
  socketTimeout: 10000,
  totalTimeout: 0,
  maxRetries: 5,
  retryScaleFactor: 150000,
  maxAsyncBatches: 32,
  /** `--batch-size` default with batch writes (batch_uploader.h DEFAULT_BATCH_SIZE). */
  batchSizeBatch: 128,
  /** `--batch-size` default without batch writes (DEFAULT_KEY_REC_BATCH_SIZE). */
  batchSizeSingle: 16,
  maxThreads: 4096
} as const

const INT32_MAX = 2147483647
const UINT32_MAX = 4294967295
/** AS_MAX_NAMESPACE_SIZE (names must be shorter). */
const NS_SIZE = 32
/** AS_BIN_NAME_MAX_SIZE */
const BIN_SIZE = 16
/** AS_SET_MAX_SIZE */
const SET_SIZE = 64

/** What the command line gave, before validation (undefined = not given). */
export interface RawRestoreArgs {
  host?: string
  port?: string | number
  namespace?: string
  directory?: string
  directoryList?: string
  parentDirectory?: string
  inputFile?: string
  parallel?: string | number
  binList?: string
  setList?: string
  unique?: boolean
  replace?: boolean
  noGeneration?: boolean
  ignoreRecordError?: boolean
  extraTtl?: string | number
  nice?: string
  noRecords?: boolean
  noIndexes?: boolean
  indexesLast?: boolean
  noUdfs?: boolean
  wait?: boolean
  validate?: boolean
  dryRun?: boolean
  timeout?: string | number
  socketTimeout?: string | number
  totalTimeout?: string | number
  maxRetries?: string | number
  retryScaleFactor?: string | number
  disableBatchWrites?: boolean
  maxAsyncBatches?: string | number
  batchSize?: string | number
  compress?: string
  encrypt?: string
  encryptionKeyFile?: string
  encryptionKeyEnv?: string
}

export type InputSpec =
  | { kind: 'file', path: string }
  /** `-i -:<bytes>` declares the size (for percent and ETA). */
  | { kind: 'stdin', size?: number }
  | { kind: 'directories', paths: string[] }

/** Validated restore options. TSDoc gives asrestore's meaning. */
export interface RestoreOptions {
  input: InputSpec
  /** `-n src[,dst]`: records must be in `src`; written to `dst` (= src when not remapped). null: any namespace, no remap. */
  namespace: { src: string, dst: string } | null
  /** `-s`: sets to restore ('' matches records without a set); null = all. */
  sets: string[] | null
  /** `-B`: bins to keep; null = all. */
  bins: string[] | null
  unique: boolean
  replace: boolean
  noGeneration: boolean
  ignoreRecordError: boolean
  /** Seconds added to the void-time of expiring records (0..INT32_MAX). */
  extraTtl: number
  /** `-N MiB/s,TPS` (bytes per second, records per second); null = unthrottled. */
  nice: { bytesPerSecond: number, tps: number } | null
  noRecords: boolean
  noIndexes: boolean
  indexesLast: boolean
  noUdfs: boolean
  wait: boolean
  validate: boolean
  dryRun: boolean
  /** Files decoded concurrently in directory mode (1..4096, default 20). */
  parallel: number
  /** ms; connection/info timeout, and the write total-timeout when totalTimeout is 0. */
  timeout: number
  socketTimeout: number
  totalTimeout: number
  maxRetries: number
  /** µs; the base of the retry back-off (§9.5). */
  retryScaleFactor: number
  disableBatchWrites: boolean
  maxAsyncBatches: number
  /** undefined: 128 with batch writes, 16 without (decided after connecting). */
  batchSize: number | undefined
}

/** better_atoi: a whole decimal number (optional sign), nothing else. */
export function parseInteger (v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined
  const s = String(v).trim()
  if (!/^[+-]?\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) ? n : undefined
}

function intOption (v: string | number | undefined, dflt: number, min: number, max: number, message: string): number {
  if (v === undefined) return dflt
  const n = parseInteger(v)
  if (n === undefined || n < min || n > max) throw new UsageError(`${message} ${String(v)}`)
  return n
}

/**
 * restore_config_parse_list: a non-empty comma list whose items are each
 * 1..size-1 bytes long.
 */
export function parseList (which: string, size: number, list: string): string[] {
  if (list.length === 0) throw new UsageError(`Empty ${which} list`)
  const items = list.split(',')
  for (const item of items) {
    const len = Buffer.byteLength(item)
    if (len === 0 || len >= size) throw new UsageError(`Item with invalid length in ${which} list ${list}`)
  }
  return items
}

/** `-N MiB/s,TPS`: exactly two items, both >= 1. */
export function parseNice (list: string): { bytesPerSecond: number, tps: number } {
  let items: string[]
  try {
    items = parseList('nice', 10, list)
  } catch (err) {
    throw new UsageError(`Error while parsing nice list: ${(err as Error).message}`)
  }
  if (items.length !== 2) throw new UsageError('Invalid nice option')
  const mib = parseInteger(items[0])
  if (mib === undefined || mib < 1) throw new UsageError(`Invalid bandwidth value ${items[0]!}`)
  const tps = parseInteger(items[1])
  if (tps === undefined || tps < 1 || tps > UINT32_MAX) throw new UsageError(`Invalid TPS value ${items[1]!}`)
  return { bytesPerSecond: mib * 1024 * 1024, tps }
}

/** `-n src[,dst]`. */
export function parseNamespaceOption (list: string): { src: string, dst: string } {
  let items: string[]
  try {
    items = parseList('namespace', NS_SIZE, list)
  } catch (err) {
    throw new UsageError(`Error while parsing namespace list: ${(err as Error).message}`)
  }
  if (items.length > 2) throw new UsageError('Invalid namespace option')
  return { src: items[0]!, dst: items[1] ?? items[0]! }
}

/** restore_config_validate plus the per-option checks of restore_config_init, in asrestore's order. */
export function validateRestoreOptions (raw: RawRestoreArgs): RestoreOptions {
  const parallel = intOption(raw.parallel, DEFAULTS.parallel, 1, DEFAULTS.maxThreads, 'Invalid threads value')
  const extraTtl = intOption(raw.extraTtl, 0, 0, INT32_MAX, 'Invalid extra-ttl value')
  const timeout = intOption(raw.timeout, DEFAULTS.timeout, 0, UINT32_MAX, 'Invalid timeout value')
  const socketTimeout = intOption(raw.socketTimeout, DEFAULTS.socketTimeout, 0, UINT32_MAX, 'Invalid socket timeout value')
  const totalTimeout = intOption(raw.totalTimeout, DEFAULTS.totalTimeout, 0, UINT32_MAX, 'Invalid total timeout value')
  const maxRetries = intOption(raw.maxRetries, DEFAULTS.maxRetries, 0, Number.MAX_SAFE_INTEGER, 'Invalid max retries value')
  const retryScaleFactor = intOption(raw.retryScaleFactor, DEFAULTS.retryScaleFactor, 0, Number.MAX_SAFE_INTEGER, 'Invalid retry delay value')
  const maxAsyncBatches = intOption(raw.maxAsyncBatches, DEFAULTS.maxAsyncBatches, 0, UINT32_MAX, 'Invalid max-async-batches value')
  const batchSize = raw.batchSize === undefined ? undefined : intOption(raw.batchSize, 0, 0, UINT32_MAX, 'Invalid batch-size value')
  if (raw.port !== undefined) intOption(raw.port, DEFAULTS.port, 1, 65535, 'Invalid port value')

  const { directory, inputFile, directoryList, parentDirectory } = raw
  if (directory === undefined && inputFile === undefined && directoryList === undefined) {
    throw new UsageError('Invalid options: please specify a directory (-d option), directory list (--directory-list option), or an input file (-i option).')
  }
  if (parentDirectory !== undefined && directoryList === undefined) {
    throw new UsageError('Invalid options: --parent-directory should always be used with, and only applies to --directory-list.')
  }
  if (directory !== undefined && inputFile !== undefined) {
    throw new UsageError('Invalid options: --directory and --input-file are mutually exclusive.')
  }
  if (raw.unique === true && (raw.replace === true || raw.noGeneration === true)) {
    throw new UsageError('Invalid options: --unique is mutually exclusive with --replace and --no-generation.')
  }
  if (directory !== undefined && directoryList !== undefined) {
    throw new UsageError('Invalid options: --directory and --directory-list are mutually exclusive.')
  }
  if (inputFile !== undefined && directoryList !== undefined) {
    throw new UsageError('Invalid options: --input-file and --directory-list are mutually exclusive.')
  }
  const hasKey = raw.encryptionKeyFile !== undefined || raw.encryptionKeyEnv !== undefined
  if (raw.encryptionKeyFile !== undefined && raw.encryptionKeyEnv !== undefined) {
    throw new UsageError('Cannot specify both encryption-key-file and encryption-key-env')
  }
  if (hasKey !== (raw.encrypt !== undefined)) {
    throw new UsageError('Must specify both encryption mode and a private key file/environment variable')
  }
  if (raw.compress !== undefined && raw.compress !== 'zstd') {
    throw new UsageError(`Invalid compression type "${raw.compress}"`)
  }
  if (raw.encrypt !== undefined && raw.encrypt !== 'aes128' && raw.encrypt !== 'aes256') {
    throw new UsageError(`Invalid encryption type "${raw.encrypt}"`)
  }
  const nice = raw.nice === undefined ? null : parseNice(raw.nice)

  let input: InputSpec
  if (inputFile !== undefined) {
    // `-i -:<bytes>` is stdin with a declared size (progress only)
    if (inputFile === '-') input = { kind: 'stdin' }
    else if (inputFile.startsWith('-:')) {
      const size = parseInteger(inputFile.slice(2))
      if (size === undefined || size < 0) throw new UsageError(`Invalid input file size ${inputFile.slice(2)}`)
      input = { kind: 'stdin', size }
    } else input = { kind: 'file', path: inputFile }
  } else if (directory !== undefined) {
    input = { kind: 'directories', paths: [directory] }
  } else {
    const parent = parentDirectory === undefined ? '' : (parentDirectory.endsWith('/') ? parentDirectory : parentDirectory + '/')
    input = { kind: 'directories', paths: directoryList!.split(',').map((d) => parent + d) }
  }

  return {
    input,
    namespace: raw.namespace === undefined ? null : parseNamespaceOption(raw.namespace),
    sets: raw.setList === undefined ? null : parseList('set', SET_SIZE, raw.setList),
    bins: raw.binList === undefined ? null : parseList('bin', BIN_SIZE, raw.binList),
    unique: raw.unique === true,
    replace: raw.replace === true,
    noGeneration: raw.noGeneration === true,
    ignoreRecordError: raw.ignoreRecordError === true,
    extraTtl,
    nice,
    noRecords: raw.noRecords === true,
    noIndexes: raw.noIndexes === true,
    indexesLast: raw.indexesLast === true,
    noUdfs: raw.noUdfs === true,
    wait: raw.wait === true,
    validate: raw.validate === true,
    dryRun: raw.dryRun === true,
    parallel,
    timeout,
    socketTimeout,
    totalTimeout,
    maxRetries,
    retryScaleFactor,
    disableBatchWrites: raw.disableBatchWrites === true,
    maxAsyncBatches,
    batchSize
  }
}
