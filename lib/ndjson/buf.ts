// Buffer's per-encoding methods (utf8Slice, base64Slice, utf8Write): what
// toString() and write() call once they have checked their arguments and
// looked the encoding up. The NDJSON hot paths call them directly (a few
// small strings per value: the checks cost more than the work,
// bench/ndjson/ndjson.bench.ts). Falls back to the public methods where a
// Node version lacks them.

interface RawBuffer {
  utf8Slice: (start: number, end: number) => string
  base64Slice: (start: number, end: number) => string
  utf8Write: (s: string, offset: number, length: number) => number
  base64Write: (s: string, offset: number, length: number) => number
}

const proto = Buffer.prototype as unknown as Partial<RawBuffer>
const raw = typeof proto.utf8Slice === 'function' && typeof proto.base64Slice === 'function' && typeof proto.utf8Write === 'function' && typeof proto.base64Write === 'function'

/** b.toString('utf8', start, end) for 0 <= start <= end <= b.length. */
export const utf8Slice: (b: Buffer, start: number, end: number) => string = raw
  ? (b, start, end) => (b as unknown as RawBuffer).utf8Slice(start, end)
  : (b, start, end) => b.toString('utf8', start, end)

/** b.toString('base64', start, end) for 0 <= start <= end <= b.length. */
export const base64Slice: (b: Buffer, start: number, end: number) => string = raw
  ? (b, start, end) => (b as unknown as RawBuffer).base64Slice(start, end)
  : (b, start, end) => b.toString('base64', start, end)

/** b.write(s, offset, 'utf8') for 0 <= offset <= b.length: the bytes written. */
export const utf8Write: (b: Buffer, s: string, offset: number) => number = raw
  ? (b, s, offset) => (b as unknown as RawBuffer).utf8Write(s, offset, b.length - offset)
  : (b, s, offset) => b.write(s, offset, 'utf8')

// Small strings decoded from JSON (string values, base64) go to views of one
// 64 KiB slab, as Buffer.from does with its 8 KiB pool but without its
// per-call checks; base64 this way costs half of Buffer.from
// (bench/ndjson/ndjson.bench.ts). A view keeps its slab alive, like a pooled
// Buffer keeps its pool. Larger values get their own Buffer.
const SLAB_BYTES = 64 * 1024
const SLAB_MAX = 4096
let slab = Buffer.allocUnsafe(SLAB_BYTES)
let slabOff = 0

function take (n: number): Buffer {
  const out = slab.subarray(slabOff, slabOff + n)
  slabOff = (slabOff + n + 7) & ~7
  return out
}

function room (n: number): void {
  if (slabOff + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafe(SLAB_BYTES)
    slabOff = 0
  }
}

/** Buffer.from(s, 'utf8'). */
export function utf8Bytes (s: string): Buffer {
  const max = s.length * 3
  if (max > SLAB_MAX) return Buffer.from(s, 'utf8')
  room(max)
  return take(raw ? (slab as unknown as RawBuffer).utf8Write(s, slabOff, max) : slab.write(s, slabOff, max, 'utf8'))
}

/**
 * Buffer.from(s, 'base64') for a string of a multiple of 4 characters, `pad`
 * of them trailing '=': the same bytes (the same room to decode into:
 * 3/4 of the length less the padding).
 */
export function base64Bytes (s: string, pad: number): Buffer {
  const max = (s.length >>> 2) * 3 - pad
  if (max > SLAB_MAX || max < 0) return Buffer.from(s, 'base64')
  room(max)
  return take(raw ? (slab as unknown as RawBuffer).base64Write(s, slabOff, max) : slab.write(s, slabOff, max, 'base64'))
}

/**
 * The text of b[start, end) when it is at most 12 bytes of printable ASCII
 * other than '"' and '\\' (JSON.stringify of it is then just the text in
 * quotes), else null. Map keys, tags and short values are built here
 * without utf8Slice, a U+FFFD search and JSON.stringify (three native calls
 * for a few bytes: bench/ndjson/ndjson.bench.ts).
 */
export function shortPlainAscii (b: Buffer, start: number, end: number): string | null {
  if (end - start > 12) return null
  let text = ''
  for (let k = start; k < end; k++) {
    const c = b[k]!
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return null
    text += String.fromCharCode(c)
  }
  return text
}
