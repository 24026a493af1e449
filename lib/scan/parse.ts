// Parsers for asbackup's selection options, with asbackup's own messages
// (backup_config.c, backup_status.c, utils.c of aerospike-tools-backup).
// Every parser throws a UsageError holding exactly one line.
import { UsageError } from '../errors.js'
import { partitionId } from '../proto/digest.js'

export const MAX_PARTITIONS = 4096
export const MAX_PARALLEL = 100
/** AS_SET_MAX_SIZE - 1 */
export const MAX_SET_NAME = 63
const UINT_MAX = 4294967295

/**
 * asbackup's `better_atoi`: strtol base 10 over the whole string (leading
 * blanks and a sign allowed, nothing after the digits). null when it fails.
 */
export function betterAtoi (s: string): number | null {
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) return null
  const n = Number(s.trim())
  return Number.isSafeInteger(n) ? n : null
}

/** An integer option in [min, max], else `Invalid <what> value <s>`. */
export function parseIntOption (s: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = betterAtoi(s)
  if (n === null || n < min || n > max) throw new UsageError(`Invalid ${what} value ${s}`)
  return n
}

/** The numeric options asbackup checks in backup_config_set, by long name. */
export const INT_OPTIONS: Record<string, { what: string, min: number, max: number }> = {
  port: { what: 'port', min: 1, max: 65535 },
  'records-per-second': { what: 'records-per-second', min: 0, max: UINT_MAX },
  parallel: { what: 'parallelism', min: 1, max: MAX_PARALLEL },
  'max-records': { what: 'max-records', min: 0, max: Number.MAX_SAFE_INTEGER },
  nice: { what: 'bandwidth', min: 1, max: Math.floor(Number.MAX_SAFE_INTEGER / (1024 * 1024)) },
  'socket-timeout': { what: 'socket timeout', min: 0, max: UINT_MAX },
  'total-timeout': { what: 'total timeout', min: 0, max: UINT_MAX },
  'max-retries': { what: 'max retries', min: 0, max: UINT_MAX },
  'sleep-between-retries': { what: 'retry delay', min: 0, max: UINT_MAX }
}

/**
 * `-s a,b,'c,d'` (utils.c:parse_set_list): comma separated, a name may be
 * quoted with ' or " to hold commas, at most 63 bytes each.
 */
export function parseSetList (list: string): string[] {
  const out: string[] = []
  let i = 0
  for (;;) {
    const c = list[i]
    if (c === "'" || c === '"') {
      const end = list.indexOf(c, i + 1)
      if (end < 0) throw new UsageError(`Missing terminating ${c} in set name`)
      const name = list.slice(i + 1, end)
      if (Buffer.byteLength(name) > MAX_SET_NAME) throw new UsageError(`Set name must be no longer than ${MAX_SET_NAME} characters`)
      out.push(name)
      i = end + 1
    } else {
      let end = list.indexOf(',', i)
      if (end < 0) end = list.length
      const name = list.slice(i, end)
      if (Buffer.byteLength(name) > MAX_SET_NAME) throw new UsageError(`Set name must be no longer than ${MAX_SET_NAME} characters`)
      out.push(name)
      i = end
    }
    if (i >= list.length) break
    if (list[i] !== ',') throw new UsageError("Require ',' to delineate set names")
    i++
  }
  return out
}

/** `-B a, b` : split on ',' and trimmed (backup.c:init_scan_bins). */
export function parseBinList (list: string): string[] {
  return list.split(',').map((s) => s.trim())
}

/**
 * asbackup's date forms (utils.c:parse_date_time), local time:
 * `YYYY-MM-DD_HH:MM:SS`, `YYYY-MM-DD` (midnight), `HH:MM:SS` (today).
 * Returns nanoseconds since the Unix epoch.
 */
export function parseDateTime (s: string, now: Date = new Date()): bigint {
  const bad = (): never => { throw new UsageError(`Invalid date and time string ${s}`) }
  let d: Date
  let m: RegExpExecArray | null
  if (s.length === 10) {
    m = /^(\d{1,4})-(\d{1,2})-(\d{1,2})$/.exec(s)
    if (m === null || Number(m[1]) < 1900) return bad()
    d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 0, 0, 0)
  } else if (s.length === 8) {
    m = /^(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s)
    if (m === null) return bad()
    d = new Date(now.getFullYear(), now.getMonth(), now.getDate(), Number(m[1]), Number(m[2]), Number(m[3]))
  } else if (s.length === 19) {
    m = /^(\d{1,4})-(\d{1,2})-(\d{1,2})_(\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s)
    if (m === null || Number(m[1]) < 1900) return bad()
    d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))
  } else {
    return bad()
  }
  // the Date constructor normalises out-of-range fields like mktime does
  const ms = d.getTime()
  if (Number.isNaN(ms)) return bad()
  return BigInt(Math.floor(ms / 1000)) * 1_000_000_000n
}

/** Local-time rendering like asbackup's format_date_time (`%Y-%m-%d %H:%M:%S`). */
export function formatDateTime (ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n))
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/**
 * A partition filter: `count` partitions from `begin`; with `digest`, the one
 * partition `begin` resumed after that digest (records with smaller digests).
 */
export interface PartitionFilter {
  begin: number
  count: number
  digest?: Buffer
}

/** cf_b64_validate_and_decode: strict base64 (length a multiple of 4, valid alphabet). */
export function strictBase64 (s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null
  return Buffer.from(s, 'base64')
}

/** A base64 20-byte digest as a digest filter, or null. */
export function parseDigest (s: string): PartitionFilter | null {
  const b = strictBase64(s)
  if (b === null || b.length !== 20) return null
  return { begin: partitionId(b), count: 1, digest: b }
}

function parseRange (s: string): PartitionFilter | null {
  const dash = s.indexOf('-')
  const head = dash < 0 ? s : s.slice(0, dash)
  const begin = betterAtoi(head)
  if (begin === null || begin < 0 || begin >= MAX_PARTITIONS) return null
  if (dash < 0) return { begin, count: 1 }
  const count = betterAtoi(s.slice(dash + 1))
  if (count === null || count < 0 || begin + count > MAX_PARTITIONS) return null
  return { begin, count }
}

/** Sort by begin and reject overlaps (backup_status.c:sort_partition_filters). */
function sortFilters (filters: PartitionFilter[]): boolean {
  filters.sort((a, b) => a.begin - b.begin)
  for (let i = 1; i < filters.length; i++) {
    const prev = filters[i - 1]
    if (prev.begin + prev.count > filters[i].begin) return false
  }
  return true
}

/**
 * `-X 0-1000,1000-1000,2222,EjRWeJq83vEjRRI0VniavN7xI0U=`: ranges are
 * `<begin>[-<count>]`, a base64 digest means "after this digest, within its
 * partition". Sorted; overlaps are an error.
 */
export function parsePartitionList (list: string): PartitionFilter[] {
  if (list === '') throw new UsageError('Empty partition list')
  const out: PartitionFilter[] = []
  for (const raw of list.split(',')) {
    const item = raw.trim()
    const f = parseRange(item) ?? parseDigest(item)
    if (f === null) {
      throw new UsageError(`Invalid partition filter '${item}' (filter: <begin partition>[-<partition count>]|<digest>; begin partition: 0-4095; partition count: 1-4096 Default: 1; digest: base64 encoded string)`)
    }
    out.push(f)
  }
  if (!sortFilters(out)) throw new UsageError(`Range overlap in partition list '${list}'`)
  return out
}

/** `-D <b64>`: its partition after the digest, then every later partition. */
export function parseAfterDigest (s: string): PartitionFilter[] {
  const f = parseDigest(s)
  if (f === null) throw new UsageError(`Error while parsing after-digest '${s}'`)
  const out = [f]
  if (f.begin + 1 < MAX_PARTITIONS) out.push({ begin: f.begin + 1, count: MAX_PARTITIONS - f.begin - 1 })
  return out
}

export interface NodeSpec {
  address: string
  port: number
  family: 4 | 6
  tlsName?: string
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

function isIpv6 (s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(':')) return false
  const dbl = s.split('::')
  if (dbl.length > 2) return false
  let groups = s.split(':').filter((g) => g !== '')
  const last = groups[groups.length - 1]
  let n = groups.length
  if (last !== undefined && last.includes('.')) {
    if (!IPV4.test(last)) return false
    groups = groups.slice(0, -1)
    n = groups.length + 2
  }
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  return dbl.length === 2 ? n < 8 : n === 8
}

/**
 * `-l ip:port[,ip:tlsname:port][,[v6]:port]` (`;` also separates), as
 * backup_status.c:parse_node_list. Addresses must be literal IPs.
 */
export function parseNodeList (list: string): NodeSpec[] {
  const clone = list.replaceAll(';', ',')
  if (clone === '') throw new UsageError('Empty node list')
  const out: NodeSpec[] = []
  for (const raw of clone.split(',')) {
    let s = raw.trim()
    let family: 4 | 6 = 4
    let addr: string
    if (s.startsWith('[')) {
      family = 6
      const close = s.indexOf(']')
      if (close < 0) throw new UsageError(`Invalid node list ${list} (missing "]")`)
      if (s[close + 1] !== ':') throw new UsageError(`Invalid node list ${list} (missing ":")`)
      addr = s.slice(1, close)
      s = s.slice(close + 2)
    } else {
      const colon = s.indexOf(':')
      if (colon < 0) throw new UsageError(`Invalid node list ${list} (missing ":")`)
      addr = s.slice(0, colon)
      s = s.slice(colon + 1)
    }
    if (addr.length === 0 || addr.length > 63) throw new UsageError(`Invalid node list ${list} (invalid IP address)`)
    if (family === 4 ? !IPV4.test(addr) : !isIpv6(addr)) throw new UsageError(`Invalid node list ${list} (invalid IP address ${addr})`)
    let tlsName: string | undefined
    const colon = s.indexOf(':')
    if (colon >= 0) {
      tlsName = s.slice(0, colon)
      s = s.slice(colon + 1)
    }
    const port = betterAtoi(s)
    if (port === null || port < 1 || port > 65535) throw new UsageError(`Invalid node list ${list} (invalid port value ${s})`)
    out.push(tlsName !== undefined && tlsName !== '' ? { address: addr, port, family, tlsName } : { address: addr, port, family })
  }
  return out
}

/** `--prefer-racks 1,2`: rack ids 0..1000000. */
export function parseRackList (list: string): number[] {
  return list.split(',').map((raw) => {
    const n = betterAtoi(raw.trim())
    if (n === null || n < 0 || n > 1000000) throw new UsageError(`Invalid rack id ${raw.trim()}`)
    return n
  })
}

/** `-f <b64>`: the packed expression bytes. */
export function parseFilterExp (s: string): Buffer {
  const b = strictBase64(s)
  if (b === null || b.length === 0) throw new UsageError(`Invalide base64 encoded string: ${s}`)
  return b
}

const AUTH_MODES = ['INTERNAL', 'EXTERNAL', 'EXTERNAL_INSECURE', 'PKI'] as const
export type AuthMode = typeof AUTH_MODES[number]

/** `-A` (case-insensitive, as as_auth_mode_from_string). */
export function parseAuthMode (s: string): AuthMode {
  const up = s.toUpperCase()
  if ((AUTH_MODES as readonly string[]).includes(up)) return up as AuthMode
  throw new UsageError(`Invalid authentication mode ${s}. Allowed values are INTERNAL / EXTERNAL / EXTERNAL_INSECURE / PKI`)
}
