// The --s3-* options as asbackup names them, shared by as-put-s3 and as-get-s3
// (and any binary that reads or writes s3:// paths). yargs-facing: plain data
// in, S3ClientOptions out; no process access.
import { UsageError } from '../../errors.js'
import { parseLogLevel } from './client.js'
import type { ChecksumMode, S3ClientOptions } from './client.js'

/** yargs option definitions common to every S3 binary. */
export const S3_CLIENT_OPTIONS = {
  's3-region': { type: 'string', describe: 'AWS region (default: AWS_REGION / profile; us-east-1 with --s3-endpoint-override)' },
  's3-profile': { type: 'string', describe: 'Profile in the shared AWS credentials/config files' },
  's3-endpoint-override': { type: 'string', describe: 'S3-compatible endpoint URL (MinIO, Ceph...); path-style addressing' },
  's3-connect-timeout': { type: 'number', default: 1000, describe: 'TCP connect timeout, ms' },
  's3-log-level': { type: 'string', default: 'Fatal', describe: 'SDK log level: Off, Fatal, Error, Warn, Info, Debug, Trace' },
  's3-checksum': { type: 'string', describe: 'when_required | when_supported (default: when_required with --s3-endpoint-override, else when_supported)' },
  's3-retry-attempts': { type: 'number', default: 8, describe: 'Attempts per request before giving up (5xx, throttling, broken connections)' },
  progress: { type: 'string', default: 'auto', describe: 'auto (terminal only), tty, json (NDJSON events on stderr), none' }
} as const

export interface S3ClientArgs {
  's3-region'?: string
  's3-profile'?: string
  's3-endpoint-override'?: string
  's3-connect-timeout': number
  's3-log-level': string
  's3-checksum'?: string
  's3-retry-attempts': number
  progress: string
}

export function positiveInt (name: string, v: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name}: expected an integer in ${min}..${max}, got ${String(v)}`)
  return v
}

/** Where progress goes: `stderrIsTty` decides 'auto'. */
export function progressTargets (mode: string, stderrIsTty: boolean): { tty: boolean, json: boolean } {
  const m = mode.toLowerCase()
  if (!['auto', 'tty', 'json', 'none'].includes(m)) throw new UsageError(`--progress: expected auto, tty, json or none, got '${mode}'`)
  return { tty: m === 'tty' || (m === 'auto' && stderrIsTty), json: m === 'json' }
}

export function parseChecksum (s: string | undefined): ChecksumMode | undefined {
  if (s === undefined) return undefined
  const v = s.toLowerCase()
  if (v !== 'when_required' && v !== 'when_supported') throw new UsageError(`--s3-checksum: expected when_required or when_supported, got '${s}'`)
  return v
}

/** Parse a byte count: 123, 10K, 5M, 2G, 1T (binary multiples). */
export function parseSize (name: string, s: string | number): number {
  const m = /^(\d+)([kmgt]i?b?)?$/i.exec(String(s).trim())
  if (m === null) throw new UsageError(`--${name}: expected a byte count like 1048576, 512M or 2G, got '${String(s)}'`)
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[(m[2] ?? '').charAt(0).toLowerCase() as '' | 'k' | 'm' | 'g' | 't']
  return Number(m[1]) * mult
}

export function s3ClientOptionsFrom (args: S3ClientArgs, log: (line: string) => void, maxSockets: number): S3ClientOptions {
  const o: S3ClientOptions = {
    connectTimeoutMs: positiveInt('s3-connect-timeout', args['s3-connect-timeout']),
    logLevel: parseLogLevel(args['s3-log-level']),
    log,
    maxSockets
  }
  if (args['s3-region'] !== undefined) o.region = args['s3-region']
  if (args['s3-profile'] !== undefined) o.profile = args['s3-profile']
  if (args['s3-endpoint-override'] !== undefined) o.endpoint = args['s3-endpoint-override']
  const ck = parseChecksum(args['s3-checksum'])
  if (ck !== undefined) o.checksum = ck
  positiveInt('s3-retry-attempts', args['s3-retry-attempts'], 1, 100)
  return o
}
