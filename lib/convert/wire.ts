// What lib/convert's main thread and its workers send each other.
import { AsbError, ParseError } from '../errors.js'
import type { ErrorCodeName, Position } from '../errors.js'
import type { ConvertSpec, Counts, ResumeState } from './converter.js'

export interface JobMessage {
  id: number
  spec: ConvertSpec
  resume: ResumeState
  /** The chunk; its ArrayBuffer is transferred, and transferred back in the result. */
  bytes: Uint8Array
  /** Absolute offset of the chunk's first byte. */
  offset: number
  /** The last chunk of the stream: the converter is ended. */
  final: boolean
}

export type WireError =
  | { kind: 'parse', reason: string, position: Position, exitCode: number }
  | { kind: 'asb', code: ErrorCodeName, message: string, exitCode: number }
  | { kind: 'other', message: string }

export interface ResultMessage {
  id: number
  /** The chunk's bytes, back (for a chunk that must be done again). */
  bytes: Uint8Array
  /** Output bytes produced (before the error, if any). */
  out: Uint8Array | null
  counts: Counts
  /** All input consumed, ending between records (a non-final chunk whose end is a real boundary). */
  clean: boolean
  /** LFs consumed (line numbers in errors are relative: line 1 is the chunk's first). */
  lines: number
  error: WireError | null
}

export function toWire (err: unknown): WireError {
  if (err instanceof ParseError) return { kind: 'parse', reason: err.reason, position: err.position, exitCode: err.exitCode }
  if (err instanceof AsbError) return { kind: 'asb', code: err.code, message: err.message, exitCode: err.exitCode }
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) }
}

/** The error again, with line numbers made absolute (`line` is the chunk's first line). */
export function fromWire (e: WireError, line: number): Error {
  switch (e.kind) {
    case 'parse': {
      const position: Position = { ...e.position }
      if (position.line !== undefined) position.line += line - 1
      return new ParseError(e.reason, position, { exitCode: e.exitCode })
    }
    case 'asb': return new AsbError(e.code, e.message, { exitCode: e.exitCode })
    case 'other': return new Error(`conversion worker: ${e.message}`)
  }
}
