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
 * Base64 strings up to this length are decoded in JS: a native base64Write
 * costs ~250 ns a call whatever the size, and digests (28 characters) and
 * short blobs are most of what a record holds (bench/ndjson/ndjson.bench.ts).
 */
const B64_JS_MAX = 256

/** Character code -> 6-bit value, -1 elsewhere; `-` and `_` as `+` and `/`, as Node's decoder. */
const B64_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < 64; i++) B64_VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i
B64_VALUE[45] = 62
B64_VALUE[95] = 63

/**
 * Decodes s (a multiple of 4 characters, the last `pad` of them '=') into
 * out[o..] the way Node's decoder does for text it fully accepts; false,
 * with nothing promised about out, for any other character (the caller then
 * takes Node's path, and its checks report it).
 */
function base64Js (s: string, pad: number, out: Buffer, o: number): boolean {
  const n = s.length
  const full = pad === 0 ? n : n - 4
  for (let i = 0; i < full; i += 4) {
    const c0 = s.charCodeAt(i)
    const c1 = s.charCodeAt(i + 1)
    const c2 = s.charCodeAt(i + 2)
    const c3 = s.charCodeAt(i + 3)
    if ((c0 | c1 | c2 | c3) > 127) return false
    const a = B64_VALUE[c0]!
    const b = B64_VALUE[c1]!
    const c = B64_VALUE[c2]!
    const d = B64_VALUE[c3]!
    if ((a | b | c | d) < 0) return false
    out[o] = (a << 2) | (b >>> 4)
    out[o + 1] = ((b & 15) << 4) | (c >>> 2)
    out[o + 2] = ((c & 3) << 6) | d
    o += 3
  }
  if (pad === 0) return true
  const c0 = s.charCodeAt(n - 4)
  const c1 = s.charCodeAt(n - 3)
  const c2 = s.charCodeAt(n - 2)
  if ((c0 | c1 | c2) > 127) return false
  const a = B64_VALUE[c0]!
  const b = B64_VALUE[c1]!
  if ((a | b) < 0) return false
  out[o] = (a << 2) | (b >>> 4)
  if (pad === 1) {
    const c = B64_VALUE[c2]!
    if (c < 0) return false
    out[o + 1] = ((b & 15) << 4) | (c >>> 2)
  }
  return true
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
  if (s.length <= B64_JS_MAX && base64Js(s, pad, slab, slabOff)) return take(max)
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
