// One chunk of a lib/convert conversion, on whichever thread runs it: a
// fresh Converter started mid-stream from the head's ResumeState.
import { Converter } from './converter.js'
import { toWire } from './wire.js'
import type { JobMessage, ResultMessage, WireError } from './wire.js'

/**
 * The output in an ArrayBuffer that can be transferred: the converter is
 * dropped after each chunk, so its output buffer (allocUnsafeSlow, never
 * Buffer's shared pool, which is at most Buffer.poolSize) is ours alone.
 */
function owned (out: Buffer): Uint8Array {
  if (out.buffer.byteLength > Buffer.poolSize) return out
  const copy = Buffer.allocUnsafeSlow(out.length)
  out.copy(copy)
  return copy
}

export function convertChunk (m: JobMessage): ResultMessage {
  const bytes = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength)
  const conv = new Converter(m.spec, { offset: m.offset, line: 1, resume: m.resume })
  let error: WireError | null = null
  try {
    conv.write(bytes)
    if (m.final) conv.end()
  } catch (err) {
    error = toWire(err)
  }
  const taken = conv.take()
  return {
    id: m.id,
    bytes: m.bytes,
    out: taken === null ? null : owned(taken),
    counts: conv.counts,
    clean: error === null && conv.atBoundary,
    lines: conv.line - 1,
    error
  }
}
