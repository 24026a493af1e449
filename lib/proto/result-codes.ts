// Server result codes (wire-protocol.md §13; SRV proto.h, JAVA ResultCode.java).

export const ResultCode = {
  OK: 0,
  SERVER_ERROR: 1,
  KEY_NOT_FOUND: 2,
  GENERATION_ERROR: 3,
  PARAMETER_ERROR: 4,
  KEY_EXISTS: 5,
  BIN_EXISTS: 6,
  CLUSTER_KEY_MISMATCH: 7,
  SERVER_MEM_ERROR: 8,
  TIMEOUT: 9,
  ALWAYS_FORBIDDEN: 10,
  PARTITION_UNAVAILABLE: 11,
  BIN_TYPE_ERROR: 12,
  RECORD_TOO_BIG: 13,
  KEY_BUSY: 14,
  SCAN_ABORT: 15,
  UNSUPPORTED_FEATURE: 16,
  BIN_NOT_FOUND: 17,
  DEVICE_OVERLOAD: 18,
  KEY_MISMATCH: 19,
  INVALID_NAMESPACE: 20,
  BIN_NAME_TOO_LONG: 21,
  FAIL_FORBIDDEN: 22,
  ELEMENT_NOT_FOUND: 23,
  ELEMENT_EXISTS: 24,
  ENTERPRISE_ONLY: 25,
  OP_NOT_APPLICABLE: 26,
  FILTERED_OUT: 27,
  LOST_CONFLICT: 28,
  XDR_KEY_BUSY: 32,
  QUERY_END: 50,
  SECURITY_NOT_SUPPORTED: 51,
  SECURITY_NOT_ENABLED: 52,
  SECURITY_SCHEME_NOT_SUPPORTED: 53,
  INVALID_COMMAND: 54,
  INVALID_FIELD: 55,
  ILLEGAL_STATE: 56,
  INVALID_USER: 60,
  USER_ALREADY_EXISTS: 61,
  INVALID_PASSWORD: 62,
  EXPIRED_PASSWORD: 63,
  FORBIDDEN_PASSWORD: 64,
  INVALID_CREDENTIAL: 65,
  EXPIRED_SESSION: 66,
  INVALID_ROLE: 70,
  ROLE_ALREADY_EXISTS: 71,
  INVALID_PRIVILEGE: 72,
  INVALID_WHITELIST: 73,
  QUOTAS_NOT_ENABLED: 74,
  INVALID_QUOTA: 75,
  NOT_AUTHENTICATED: 80,
  ROLE_VIOLATION: 81,
  NOT_WHITELISTED: 82,
  QUOTA_EXCEEDED: 83,
  UDF_BAD_RESPONSE: 100,
  MRT_BLOCKED: 120,
  MRT_VERSION_MISMATCH: 121,
  MRT_EXPIRED: 122,
  MRT_TOO_MANY_WRITES: 123,
  MRT_COMMITTED: 124,
  MRT_ABORTED: 125,
  MRT_ALREADY_LOCKED: 126,
  MRT_MONITOR_EXISTS: 127,
  BATCH_DISABLED: 150,
  BATCH_MAX_REQUESTS_EXCEEDED: 151,
  BATCH_QUEUES_FULL: 152,
  GEO_INVALID_GEOJSON: 160,
  INDEX_FOUND: 200,
  INDEX_NOTFOUND: 201,
  INDEX_OOM: 202,
  INDEX_NOTREADABLE: 203,
  INDEX_GENERIC: 204,
  INDEX_NAME_MAXLEN: 205,
  INDEX_MAXCOUNT: 206,
  QUERY_ABORTED: 210,
  QUERY_QUEUEFULL: 211,
  QUERY_TIMEOUT: 212,
  QUERY_GENERIC: 213
} as const

const NAMES = new Map<number, string>()
for (const [name, code] of Object.entries(ResultCode)) NAMES.set(code, name)

/** 'KEY_NOT_FOUND' for 2; 'RESULT_<n>' for codes we do not know. */
export function resultCodeName (code: number): string {
  return NAMES.get(code) ?? `RESULT_${code}`
}

/** "2 KEY_NOT_FOUND" — for error messages. */
export function describeResultCode (code: number): string {
  return `${code} ${resultCodeName(code)}`
}

/**
 * Transient conditions: the same request may succeed later or on another
 * node (Java retries TIMEOUT/unavailable/busy, wire-protocol.md §8 step 5).
 */
const RETRYABLE: ReadonlySet<number> = new Set<number>([
  ResultCode.SERVER_MEM_ERROR, // stop-writes can clear
  ResultCode.TIMEOUT,
  ResultCode.PARTITION_UNAVAILABLE,
  ResultCode.KEY_BUSY,
  ResultCode.DEVICE_OVERLOAD,
  ResultCode.XDR_KEY_BUSY,
  ResultCode.EXPIRED_SESSION, // log in again, then retry
  ResultCode.QUOTA_EXCEEDED,
  ResultCode.MRT_BLOCKED,
  ResultCode.BATCH_QUEUES_FULL,
  ResultCode.BATCH_MAX_REQUESTS_EXCEEDED,
  ResultCode.INDEX_NOTREADABLE,
  ResultCode.INDEX_NOTFOUND,
  ResultCode.QUERY_QUEUEFULL,
  ResultCode.QUERY_TIMEOUT
])

/** True when retrying (later, or after a partition-map refresh) may succeed. */
export function isRetryable (code: number): boolean {
  return RETRYABLE.has(code)
}

/** True for a definitive answer about this request: retrying the same bytes fails the same way. */
export function isPermanent (code: number): boolean {
  return code !== ResultCode.OK && !RETRYABLE.has(code)
}
