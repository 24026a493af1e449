// A lib/convert worker: converts one chunk per message, in order.
import { parentPort } from 'node:worker_threads'
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

parentPort!.on('message', (m: JobMessage) => {
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
  const out = taken === null ? null : owned(taken)
  const result: ResultMessage = {
    id: m.id,
    bytes: m.bytes,
    out,
    counts: conv.counts,
    clean: error === null && conv.atBoundary,
    lines: conv.line - 1,
    error
  }
  const transfer: ArrayBuffer[] = [m.bytes.buffer as ArrayBuffer]
  if (out !== null && out.buffer !== m.bytes.buffer) transfer.push(out.buffer as ArrayBuffer)
  parentPort!.postMessage(result, transfer)
})
