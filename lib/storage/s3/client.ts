// Build the S3Client every as-*-s3 binary uses, from asbackup-named options.
// Our own retry loop (retry.ts) does the retrying, so the SDK's is off
// (maxAttempts 1): two nested retry loops would multiply attempts and hide
// which failure we are waiting on.
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client } from '@aws-sdk/client-s3'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { UsageError } from '../../errors.js'

export type ChecksumMode = 'when_required' | 'when_supported'
export type S3LogLevel = 'off' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
export const S3_LOG_LEVELS: readonly S3LogLevel[] = ['off', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']

export interface S3ClientOptions {
  /** AWS region; with an endpoint override and no region, 'us-east-1'. Otherwise the SDK chain (AWS_REGION, profile). */
  region?: string
  /** Profile in the shared credentials/config files; default credential chain otherwise. */
  profile?: string
  /** S3-compatible endpoint (MinIO, Ceph...); implies path-style addressing. */
  endpoint?: string
  /** TCP connect timeout in ms (default 1000, as asbackup). */
  connectTimeoutMs?: number
  /** Socket inactivity timeout in ms, so a stalled body is noticed and retried (default 30,000). */
  socketTimeoutMs?: number
  /** Concurrent sockets per client (default 16). */
  maxSockets?: number
  /**
   * Request checksums: 'when_required' sends none unless the operation demands
   * one; 'when_supported' adds CRC32 to every upload. Default: 'when_required'
   * with an endpoint override (many S3-compatible stores mishandle the SDK's
   * streaming checksums), 'when_supported' on AWS.
   */
  checksum?: ChecksumMode
  /** Static credentials; default: the SDK chain (env, --s3-profile files, SSO, IMDS...). */
  credentials?: { accessKeyId: string, secretAccessKey: string, sessionToken?: string }
  /** SDK log level (default 'fatal': nothing but fatal errors). */
  logLevel?: S3LogLevel
  /** Where SDK log lines go (one line each). */
  log?: (line: string) => void
}

/** The checksum mode an option set resolves to. */
export function resolveChecksum (opts: S3ClientOptions): ChecksumMode {
  return opts.checksum ?? (opts.endpoint !== undefined ? 'when_required' : 'when_supported')
}

/** Normalise asbackup-style level names (Fatal, Error, ...) to ours. */
export function parseLogLevel (s: string): S3LogLevel {
  const v = s.toLowerCase() as S3LogLevel
  if (!S3_LOG_LEVELS.includes(v)) throw new UsageError(`--s3-log-level: expected one of ${S3_LOG_LEVELS.join(', ')}, got '${s}'`)
  return v
}

function makeLogger (level: S3LogLevel, log: (line: string) => void): S3ClientConfig['logger'] {
  const rank = S3_LOG_LEVELS.indexOf(level)
  const at = (min: S3LogLevel) => (...args: unknown[]) => {
    if (rank >= S3_LOG_LEVELS.indexOf(min)) {
      log(`s3 ${min}: ${args.map((a) => typeof a === 'string' ? a : JSON.stringify(a, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)).join(' ')}`)
    }
  }
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export function createS3Client (opts: S3ClientOptions = {}): S3Client {
  const maxSockets = opts.maxSockets ?? 16
  const checksum = resolveChecksum(opts)
  const config: S3ClientConfig = {
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: opts.connectTimeoutMs ?? 1000,
      socketTimeout: opts.socketTimeoutMs ?? 30_000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets })
    },
    requestChecksumCalculation: checksum === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    responseChecksumValidation: checksum === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED',
    followRegionRedirects: opts.region === undefined
  }
  if (opts.region !== undefined) config.region = opts.region
  else if (opts.endpoint !== undefined) config.region = 'us-east-1'
  if (opts.profile !== undefined) config.profile = opts.profile
  if (opts.credentials !== undefined) config.credentials = opts.credentials
  if (opts.endpoint !== undefined) {
    try {
      // eslint-disable-next-line no-new
      new URL(opts.endpoint)
    } catch {
      throw new UsageError(`--s3-endpoint-override: not a URL: '${opts.endpoint}'`)
    }
    config.endpoint = opts.endpoint
    config.forcePathStyle = true
  }
  if (opts.log !== undefined && (opts.logLevel ?? 'fatal') !== 'off') {
    config.logger = makeLogger(opts.logLevel ?? 'fatal', opts.log)
  }
  return new S3Client(config)
}
