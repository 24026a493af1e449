// Which S3 failures are worth another attempt, and how long to wait.
// Retried: HTTP 5xx and 429, S3 throttling codes (SlowDown & co.), request
// timeouts and dropped connections. Everything else (403, 404, 400, a
// precondition failure...) is fatal at once.
import { setTimeout as sleep } from 'node:timers/promises'

/** Error codes/names S3 and S3-compatible stores use for "slow down, try again". */
const RETRYABLE_NAMES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled',
  'RequestThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'ProvisionedThroughputExceededException', 'BandwidthLimitExceeded', 'RequestTimeout',
  'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'TimeoutError',
  'PriorKnownIncompleteBodyError'
])

/** Node/undici socket error codes that mean the connection broke, not the request was wrong. */
const RETRYABLE_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND',
  'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'
])

export interface RetryOptions {
  /** Total attempts including the first (default 8). */
  maxAttempts?: number
  /** First backoff in ms; doubles each retry (default 100). */
  baseDelayMs?: number
  /** Backoff cap in ms (default 10,000). */
  maxDelayMs?: number
  /** Called before each wait, e.g. to log at -v. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Stops waiting (and retrying) when aborted. */
  signal?: AbortSignal
}

export const DEFAULT_RETRY: Required<Omit<RetryOptions, 'onRetry' | 'signal'>> = {
  maxAttempts: 8,
  baseDelayMs: 100,
  maxDelayMs: 10_000
}

/** HTTP status of an SDK error, if it got that far. */
export function httpStatus (err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode
}

/** True when `err` is transient: 5xx, 429, throttling, timeouts, broken connections. */
export function isRetryable (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const e = err as { name?: string, code?: string, Code?: string, cause?: unknown, $retryable?: unknown }
  if (e.name === 'AbortError') return false
  const status = httpStatus(err)
  if (status !== undefined && (status >= 500 || status === 429)) return true
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true
  if (e.Code !== undefined && RETRYABLE_NAMES.has(e.Code)) return true
  if (e.code !== undefined && RETRYABLE_CODES.has(e.code)) return true
  if (e.$retryable !== undefined) return true
  // "socket hang up" carries ECONNRESET; wrapped causes are checked too
  if (e.cause !== undefined && e.cause !== err) return isRetryable(e.cause)
  return false
}

/** Backoff before retry number `attempt` (1-based): full jitter over an exponential cap. */
export function backoffMs (attempt: number, base: number, cap: number): number {
  const ceiling = Math.min(cap, base * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2)
}

/** Run `fn` until it succeeds, fails fatally, runs out of attempts, or `signal` aborts. */
export async function withRetry<T> (fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_RETRY.maxAttempts
  const base = opts.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs
  const cap = opts.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      if (opts.signal?.aborted === true) throw err
      if (attempt >= maxAttempts || !isRetryable(err)) throw err
      const delay = backoffMs(attempt, base, cap)
      opts.onRetry?.(err, attempt, delay)
      await sleep(delay, undefined, opts.signal === undefined ? undefined : { signal: opts.signal })
    }
  }
}

/** One line describing an SDK or socket error: `SlowDown (HTTP 503): Please reduce...`. */
export function describeError (err: unknown): string {
  if (err === null || typeof err !== 'object') return String(err)
  const e = err as { name?: string, code?: string, message?: string }
  const status = httpStatus(err)
  const label = e.code ?? e.name ?? 'Error'
  let msg = (e.message ?? '').split('\n')[0]
  if (msg === 'Region is missing') msg += ' (give --s3-region or set AWS_REGION)'
  const head = status !== undefined ? `${label} (HTTP ${status})` : label
  return msg !== '' && msg !== label ? `${head}: ${msg}` : head
}
