// Write result categories and the retry schedule (asb-format.md §9.5;
// batch_uploader.c _categorize_write_result / _batch_status_submit,
// retry_strategy.c retry_status_next_delay).
import { ResultCode } from '../proto/result-codes.js'

export type Outcome =
  /** Written: counted as inserted. */
  | 'inserted'
  /** KEY_EXISTS under --unique. */
  | 'existed'
  /** GENERATION_ERROR: the server has a fresher (or equal) generation. */
  | 'fresher'
  /** A permanent per-record error; counted as err_ignored, fatal unless --ignore-record-error. */
  | 'ignorable'
  /** Permanent for the whole call: fatal, never retried. */
  | 'fatal'
  /** Transient (timeouts, unavailable, ...): retry with back-off. */
  | 'retry'

/** Per-record codes `--ignore-record-error` tolerates. */
export const IGNORABLE_CODES: ReadonlySet<number> = new Set<number>([
  ResultCode.RECORD_TOO_BIG,
  ResultCode.KEY_MISMATCH,
  ResultCode.BIN_NAME_TOO_LONG,
  ResultCode.ALWAYS_FORBIDDEN,
  ResultCode.FAIL_FORBIDDEN,
  ResultCode.BIN_TYPE_ERROR,
  ResultCode.BIN_NOT_FOUND
])

/** Codes that are never worth retrying (whole call). Client-side codes are handled by the caller. */
export const FATAL_CODES: ReadonlySet<number> = new Set<number>([
  ResultCode.PARAMETER_ERROR,
  ResultCode.SERVER_MEM_ERROR, // SERVER_FULL
  ResultCode.UNSUPPORTED_FEATURE,
  ResultCode.INVALID_NAMESPACE,
  ResultCode.ENTERPRISE_ONLY,
  ResultCode.OP_NOT_APPLICABLE,
  ResultCode.FILTERED_OUT,
  ResultCode.GEO_INVALID_GEOJSON,
  ResultCode.INDEX_OOM,
  ResultCode.INDEX_NOTREADABLE,
  ResultCode.BATCH_DISABLED,
  ResultCode.INVALID_COMMAND,
  ResultCode.INVALID_FIELD,
  ResultCode.SECURITY_NOT_SUPPORTED,
  ResultCode.SECURITY_NOT_ENABLED,
  ResultCode.SECURITY_SCHEME_NOT_SUPPORTED,
  ResultCode.ILLEGAL_STATE,
  ResultCode.INVALID_USER,
  ResultCode.INVALID_PASSWORD,
  ResultCode.EXPIRED_PASSWORD,
  ResultCode.FORBIDDEN_PASSWORD,
  ResultCode.INVALID_CREDENTIAL,
  ResultCode.INVALID_ROLE,
  ResultCode.INVALID_PRIVILEGE,
  ResultCode.NOT_AUTHENTICATED,
  ResultCode.ROLE_VIOLATION,
  ResultCode.NOT_WHITELISTED
])

/** Client-side code: the request may not have reached the server (connection lost, node gone, timeout). */
export const CLIENT_RETRY = -8
/** Client-side code: a client error that retrying cannot fix. */
export const CLIENT_ERROR = -1

/**
 * The category of a whole single-record call, or of one row of a batch call.
 * Negative codes are client-side (CLIENT_ERROR is fatal, the others transient).
 */
export function categorize (code: number): Outcome {
  if (code === ResultCode.OK) return 'inserted'
  if (code < 0) return code === CLIENT_ERROR ? 'fatal' : 'retry'
  if (code === ResultCode.KEY_EXISTS) return 'existed'
  if (code === ResultCode.GENERATION_ERROR) return 'fresher'
  if (IGNORABLE_CODES.has(code)) return 'ignorable'
  if (FATAL_CODES.has(code)) return 'fatal'
  return 'retry'
}

/**
 * Delay before retry number `attempt` (1-based) in ms: the first retry is
 * immediate, retry k >= 2 waits 2^(k-2) × scale µs (150 ms, 300 ms, 600 ms...).
 */
export function retryDelayMs (attempt: number, retryScaleFactorUs: number): number {
  if (attempt <= 1) return 0
  return (2 ** (attempt - 2)) * retryScaleFactorUs / 1000
}
