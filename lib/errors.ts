// One error module for every binary: stable string codes and exit statuses.
// Every man page lists these under EXIT STATUS / DIAGNOSTICS.
//
//   exit 0  success
//   exit 1  runtime failure (bad input data, I/O, server, crypto, ...)
//   exit 2  usage error (bad flags or flag combinations)
// Binaries may document further statuses of their own (e.g. as-ttl-audit).

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export const ErrorCode = {
  /** Bad command-line usage. */
  USAGE: 'ASB_ERR_USAGE',
  /** Malformed input data (.asb, NDJSON, state file...). */
  PARSE: 'ASB_ERR_PARSE',
  /** Input valid but semantically refused (unsupported feature, limits). */
  INVALID: 'ASB_ERR_INVALID',
  /** File or stream I/O. */
  IO: 'ASB_ERR_IO',
  /** Compression / decompression. */
  COMPRESS: 'ASB_ERR_COMPRESS',
  /** Encryption, decryption, authentication or key handling. */
  CRYPTO: 'ASB_ERR_CRYPTO',
  /** Object storage (S3). */
  STORAGE: 'ASB_ERR_STORAGE',
  /** Aerospike wire protocol violation. */
  PROTOCOL: 'ASB_ERR_PROTOCOL',
  /** The server answered with an error result code. */
  SERVER: 'ASB_ERR_SERVER',
  /** Timeout (connect, socket, total). */
  TIMEOUT: 'ASB_ERR_TIMEOUT',
  /** Network connection failure. */
  CONNECTION: 'ASB_ERR_CONNECTION',
  /** Authentication failure. */
  AUTH: 'ASB_ERR_AUTH',
  /** The run was interrupted (SIGINT/SIGTERM). */
  INTERRUPTED: 'ASB_ERR_INTERRUPTED'
} as const

export type ErrorCodeName = typeof ErrorCode[keyof typeof ErrorCode]

export interface AsbErrorOptions {
  cause?: unknown
  /** Exit status the binary should end with (default 1, or 2 for USAGE). */
  exitCode?: number
}

export class AsbError extends Error {
  readonly code: ErrorCodeName
  readonly exitCode: number

  constructor (code: ErrorCodeName, message: string, opts: AsbErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'AsbError'
    this.code = code
    this.exitCode = opts.exitCode ?? (code === ErrorCode.USAGE ? EXIT_USAGE : EXIT_FAILURE)
  }
}

export class UsageError extends AsbError {
  constructor (message: string, opts: AsbErrorOptions = {}) {
    super(ErrorCode.USAGE, message, opts)
    this.name = 'UsageError'
  }
}

export interface Position {
  /** File name, or 'stdin'. */
  file?: string
  /** 1-based line number. */
  line?: number
  /** 1-based column (byte) within the line. */
  column?: number
  /** 0-based byte offset from the start of the input. */
  offset?: number
}

/** Format a position the way our one-line errors show it: `FILE: line L, col C (byte O)`. */
export function formatPosition (pos: Position): string {
  const parts: string[] = []
  if (pos.line !== undefined) {
    parts.push(pos.column !== undefined ? `line ${pos.line}, col ${pos.column}` : `line ${pos.line}`)
  }
  if (pos.offset !== undefined) {
    parts.push(parts.length > 0 ? `(byte ${pos.offset})` : `byte ${pos.offset}`)
  }
  const where = parts.join(' ')
  if (pos.file !== undefined) return where ? `${pos.file}: ${where}` : pos.file
  return where
}

/** Malformed input at a known position. The message is `<where>: <what>`. */
export class ParseError extends AsbError {
  readonly position: Position
  /** The bare reason, without the position. */
  readonly reason: string

  constructor (reason: string, position: Position, opts: AsbErrorOptions = {}) {
    const where = formatPosition(position)
    super(ErrorCode.PARSE, where ? `${where}: ${reason}` : reason, opts)
    this.name = 'ParseError'
    this.position = position
    this.reason = reason
  }
}

/** An error answered by the server, with its numeric result code (wire-protocol.md §13). */
export class ServerError extends AsbError {
  readonly resultCode: number

  constructor (resultCode: number, message: string, opts: AsbErrorOptions = {}) {
    super(ErrorCode.SERVER, message, opts)
    this.name = 'ServerError'
    this.resultCode = resultCode
  }
}

export function isAsbError (err: unknown): err is AsbError {
  return err instanceof AsbError
}

/** True for the errors a closed downstream pipe produces (EPIPE and friends). */
export function isBrokenPipe (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE'
}
