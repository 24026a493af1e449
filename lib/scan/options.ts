// as-scan's options, checked in asbackup's order with asbackup's messages
// (backup_config.c:backup_config_set then backup_config_validate, then the
// selection parsers of backup_status_init). Input: the raw strings the CLI
// parser collected; output: a ScanConfig, or a one-line UsageError.
import { UsageError } from '../errors.js'
import { buildSelectionExpression } from './expression.js'
import {
  INT_OPTIONS, parseAfterDigest, parseAuthMode, parseBinList, parseDateTime, parseFilterExp, parseIntOption,
  parseNodeList, parsePartitionList, parseRackList, parseSetList,
  type AuthMode, type NodeSpec, type PartitionFilter
} from './parse.js'
import type { Fingerprint } from './state.js'

/** What the command line gave (strings as typed; booleans for flags). */
export interface RawScanArgs {
  host?: string
  port?: string
  user?: string
  password?: string
  auth?: string
  namespace?: string
  set?: string
  'bin-list'?: string
  'no-bins'?: boolean
  'no-records'?: boolean
  'no-indexes'?: boolean
  'no-udfs'?: boolean
  'max-records'?: string
  'modified-after'?: string
  'modified-before'?: string
  'no-ttl-only'?: boolean
  'partition-list'?: string
  'after-digest'?: string
  'node-list'?: string
  'filter-exp'?: string
  'prefer-racks'?: string
  parallel?: string
  'records-per-second'?: string
  nice?: string
  'socket-timeout'?: string
  'total-timeout'?: string
  'max-retries'?: string
  'sleep-between-retries'?: string
  format?: string
  compact?: boolean
  'state-file'?: string
  continue?: string
  /** Positional leftovers. */
  _?: Array<string | number>
}

export type OutputFormat = 'ndjson' | 'asb'

export interface ScanConfig {
  host: string
  port: number
  user: string | null
  /** null = none given; '' = prompt (-P without a value). */
  password: string | null
  auth: AuthMode | null
  namespace: string
  sets: string[]
  /** The one set asked for the scan itself (a single -s), else null. */
  scanSet: string | null
  binList: string[] | null
  noBins: boolean
  noRecords: boolean
  noIndexes: boolean
  noUdfs: boolean
  maxRecords: number
  modifiedAfter: bigint
  modifiedBefore: bigint
  noTtlOnly: boolean
  /** Partition filters from -X / -D (empty = whole namespace, or node-list later). */
  filters: PartitionFilter[]
  nodeList: NodeSpec[] | null
  /** -f verbatim, or the expression built from multi-set / -a / -b / --no-ttl-only. */
  filterExp: Buffer | null
  preferRacks: number[] | null
  /** Explicit -w, or null (1; 16 with -l). */
  parallel: number | null
  recordsPerSecond: number
  /** --nice in bytes per second; 0 = none. */
  bandwidth: number
  socketTimeout: number
  totalTimeout: number
  maxRetries: number
  retryDelay: number
  format: OutputFormat
  compact: boolean
  stateFile: string | null
  continueFrom: string | null
}

function int (a: RawScanArgs, key: keyof typeof INT_OPTIONS & keyof RawScanArgs, dflt: number): number {
  const v = a[key]
  if (v === undefined) return dflt
  const spec = INT_OPTIONS[key]
  return parseIntOption(String(v), spec.what, spec.min, spec.max)
}

/** Parse and validate; `now` anchors `HH:MM:SS` dates (today, local time). */
export function buildScanConfig (a: RawScanArgs, now: Date = new Date()): ScanConfig {
  // backup_config_set: value checks
  const port = int(a, 'port', 3000)
  const sets = a.set !== undefined ? parseSetList(a.set) : []
  const rps = int(a, 'records-per-second', 0)
  const parallel = a.parallel !== undefined ? int(a, 'parallel', 1) : null
  const maxRecords = int(a, 'max-records', 0)
  const nice = a.nice !== undefined ? int(a, 'nice', 1) : 0
  const modifiedAfter = a['modified-after'] !== undefined ? parseDateTime(a['modified-after'], now) : 0n
  const modifiedBefore = a['modified-before'] !== undefined ? parseDateTime(a['modified-before'], now) : 0n
  const socketTimeout = int(a, 'socket-timeout', 10000)
  const totalTimeout = int(a, 'total-timeout', 0)
  const maxRetries = int(a, 'max-retries', 5)
  const retryDelay = int(a, 'sleep-between-retries', 0)
  const rest = a._ ?? []
  if (rest.length > 0) throw new UsageError(`Unexpected trailing argument ${String(rest[0])}`)

  // backup_config_validate
  const namespace = a.namespace ?? ''
  if (namespace === '') throw new UsageError('Please specify a namespace (-n option)')
  if (sets.length > 1 && a['filter-exp'] !== undefined) throw new UsageError('Multi-set backup and filter-exp are mutually exclusive')
  if (a['filter-exp'] !== undefined && (modifiedAfter > 0n || modifiedBefore > 0n || a['no-ttl-only'] === true)) {
    // asbackup silently ignores -a/-b/--no-ttl-only next to -f; we refuse rather than drop a selection
    throw new UsageError('filter-exp is mutually exclusive with modified-after, modified-before and no-ttl-only')
  }
  if (a['partition-list'] !== undefined && a['after-digest'] !== undefined) throw new UsageError('after-digest and partition-list arguments are mutually exclusive')
  if (a['node-list'] !== undefined && (a['partition-list'] !== undefined || a['after-digest'] !== undefined)) {
    throw new UsageError('node-list is mutually exclusive with after-digest and partition-list')
  }
  const format = (a.format ?? 'ndjson').toLowerCase()
  if (format !== 'ndjson' && format !== 'asb') throw new UsageError(`Invalid output format ${a.format ?? ''} (expected ndjson or asb)`)
  if (a.compact === true && format !== 'asb') throw new UsageError('--compact applies to --format asb only')

  // backup_status_init: selection parsing
  let filters: PartitionFilter[] = []
  let nodeList: NodeSpec[] | null = null
  if (a['partition-list'] !== undefined) filters = parsePartitionList(a['partition-list'])
  else if (a['after-digest'] !== undefined) filters = parseAfterDigest(a['after-digest'])
  else if (a['node-list'] !== undefined) nodeList = parseNodeList(a['node-list'])
  let filterExp: Buffer | null
  if (a['filter-exp'] !== undefined) filterExp = parseFilterExp(a['filter-exp'])
  else filterExp = buildSelectionExpression({ sets, modifiedBefore, modifiedAfter, noTtlOnly: a['no-ttl-only'] === true })
  const auth = a.auth !== undefined ? parseAuthMode(a.auth) : null

  return {
    host: a.host ?? '127.0.0.1',
    port,
    user: a.user ?? null,
    password: a.password ?? null,
    auth,
    namespace,
    sets,
    scanSet: sets.length === 1 ? sets[0] : null,
    binList: a['bin-list'] !== undefined ? parseBinList(a['bin-list']) : null,
    noBins: a['no-bins'] === true,
    noRecords: a['no-records'] === true,
    noIndexes: a['no-indexes'] === true,
    noUdfs: a['no-udfs'] === true,
    maxRecords,
    modifiedAfter,
    modifiedBefore,
    noTtlOnly: a['no-ttl-only'] === true,
    filters,
    nodeList,
    filterExp,
    preferRacks: a['prefer-racks'] !== undefined ? parseRackList(a['prefer-racks']) : null,
    parallel,
    recordsPerSecond: rps,
    bandwidth: nice * 1024 * 1024,
    socketTimeout,
    totalTimeout,
    maxRetries,
    retryDelay,
    format: format as OutputFormat,
    compact: a.compact === true,
    stateFile: a['state-file'] ?? null,
    continueFrom: a.continue ?? null
  }
}

/** The options a resumed run must repeat (they decide which records are emitted and how). */
export function fingerprint (c: ScanConfig, raw: RawScanArgs): Fingerprint {
  return {
    namespace: c.namespace,
    set: c.sets,
    'bin-list': c.binList,
    'no-bins': c.noBins,
    'no-records': c.noRecords,
    'no-indexes': c.noIndexes,
    'no-udfs': c.noUdfs,
    'max-records': c.maxRecords,
    'modified-after': raw['modified-after'] ?? null,
    'modified-before': raw['modified-before'] ?? null,
    'no-ttl-only': c.noTtlOnly,
    'partition-list': raw['partition-list'] ?? null,
    'after-digest': raw['after-digest'] ?? null,
    'node-list': raw['node-list'] ?? null,
    'filter-exp': raw['filter-exp'] ?? null,
    format: c.format,
    compact: c.compact
  }
}
