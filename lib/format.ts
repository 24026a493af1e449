// Input format auto-detection for binaries that read either .asb or typed
// NDJSON: a .asb stream starts with the 8 bytes `Version ` (asb-format.md
// §1.2); anything else is NDJSON (whose lines start with `{`).
import { Readable, Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'

export type Format = 'asb' | 'ndjson'

const MAGIC = Buffer.from('Version ', 'latin1')

/**
 * The format of a stream from its first bytes. `complete` says no more bytes
 * follow (a short input that is a prefix of `Version ` is still .asb, and
 * gets the .asb decoder's error).
 */
export function detectFormat (head: Buffer, complete = true): Format | null {
  const n = Math.min(head.length, MAGIC.length)
  if (head.subarray(0, n).equals(MAGIC.subarray(0, n))) {
    if (n === MAGIC.length) return 'asb'
    if (!complete) return null
    return n === 0 ? 'ndjson' : 'asb'
  }
  return 'ndjson'
}

/**
 * Reads just enough of `input` to tell its format, and returns a stream that
 * yields every byte again (the peeked head first, then the rest, with
 * backpressure and errors passed through).
 */
export async function sniffFormat (input: Readable): Promise<{ format: Format, stream: Readable }> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>
  const head: Buffer[] = []
  let len = 0
  let done = false
  let format: Format | null = null
  while (format === null) {
    const r = await it.next()
    if (r.done === true) {
      done = true
      format = detectFormat(Buffer.concat(head), true)
      break
    }
    const c = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
    head.push(c)
    len += c.length
    format = detectFormat(len === c.length ? c : Buffer.concat(head), false)
  }
  async function * replay (): AsyncGenerator<Buffer> {
    for (const c of head) yield c
    if (done) return
    for (;;) {
      const r = await it.next()
      if (r.done === true) return
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value
    }
  }
  return { format: format ?? 'ndjson', stream: Readable.from(replay(), { objectMode: false }) }
}

/** A pass-through that counts the bytes flowing through it. */
export class ByteCounter extends Transform {
  bytes = 0
  override _transform (chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length
    cb(null, chunk)
  }
}
