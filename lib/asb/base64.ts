// Base64 as aerospike-common `cf_b64` writes it and asrestore `read_char_dec`
// reads it (asb-format.md §1.8): standard alphabet, `=` padding, no line
// breaks. The reader maps `=` to 0 anywhere and takes the decoded size from
// the padding of each quad, so we do exactly that rather than call the
// lenient Node decoder (which skips invalid characters silently).


const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Character code -> 6-bit value; 0xff = not base64. `=` maps to 0 as in utils.c `b64map`. */
export const B64_MAP = new Uint8Array(256).fill(0xff)
for (let i = 0; i < 64; i++) B64_MAP[ALPHABET.charCodeAt(i)] = i
B64_MAP[61] = 0

const ENC = new Uint8Array(64)
for (let i = 0; i < 64; i++) ENC[i] = ALPHABET.charCodeAt(i)

/** Encoded length of n bytes: ((n + 2) / 3) * 4. */
export function b64Length (n: number): number {
  return Math.floor((n + 2) / 3) * 4
}

/**
 * Character code -> 6-bit value, 0xff for anything else including `=`
 * (padding inside the data takes the exact path below). 256 bytes: it stays
 * in L1, where a 128 KiB two-character table did not (4 lookups a quad
 * measured ~20% faster than 2 into the big table).
 */
const STRICT = new Uint8Array(256).fill(0xff)
for (let i = 0; i < 64; i++) STRICT[ENC[i]!] = i

/**
 * Decodes `len` base64 characters at src[start..] (len a multiple of 4).
 * Returns the decoded bytes, or the index (as a negative number minus one,
 * i.e. -(i + 1)) of the first character that is not base64.
 *
 * Fast path: every quad but the last decoded through the STRICT table, the
 * output allocated at its exact size; anything unusual (invalid characters,
 * `=` before the last quad) goes through the character-by-character decoder
 * with the C reader's exact semantics.
 */
export function b64DecodeAt (src: Buffer, start: number, len: number): Buffer | number {
  const quads = len >>> 2
  if (quads === 0) return Buffer.allocUnsafe(0)
  const lastAt = start + len - 4
  const c3 = src[lastAt + 2]!
  const c4 = src[lastAt + 3]!
  const size = quads * 3 - (c4 === 61 ? (c3 === 61 ? 2 : 1) : 0)
  const out = Buffer.allocUnsafe(size)
  let o = 0
  for (let i = start; i < lastAt; i += 4) {
    const a = STRICT[src[i]!]!
    const b = STRICT[src[i + 1]!]!
    const c = STRICT[src[i + 2]!]!
    const d = STRICT[src[i + 3]!]!
    if (((a | b | c | d) & 0xc0) !== 0) return b64DecodeExact(src, start, len)
    out[o] = (a << 2) | (b >>> 4)
    out[o + 1] = ((b & 15) << 4) | (c >>> 2)
    out[o + 2] = ((c & 3) << 6) | d
    o += 3
  }
  const d1 = B64_MAP[src[lastAt]!]!
  const d2 = B64_MAP[src[lastAt + 1]!]!
  const d3 = B64_MAP[c3]!
  const d4 = B64_MAP[c4]!
  if (((d1 | d2 | d3 | d4) & 0xc0) !== 0) return b64DecodeExact(src, start, len)
  out[o++] = (d1 << 2) | (d2 >> 4)
  if (o < size) out[o++] = ((d2 << 4) | (d3 >> 2)) & 0xff
  if (o < size) out[o++] = ((d3 << 6) | d4) & 0xff
  return out
}

/** read_char_dec semantics, one character at a time (`=` is 0 anywhere, size from each quad's padding). */
function b64DecodeExact (src: Buffer, start: number, len: number): Buffer | number {
  const quads = len >>> 2
  const out = Buffer.allocUnsafe(quads * 3)
  let size = 0
  let o = 0
  let i = start
  for (let q = 0; q < quads; q++, i += 4) {
    const c1 = src[i]!
    const c2 = src[i + 1]!
    const c3 = src[i + 2]!
    const c4 = src[i + 3]!
    const d1 = B64_MAP[c1]!
    const d2 = B64_MAP[c2]!
    const d3 = B64_MAP[c3]!
    const d4 = B64_MAP[c4]!
    if (((d1 | d2 | d3 | d4) & 0xc0) !== 0) {
      if (d1 === 0xff) return -(i + 1)
      if (d2 === 0xff) return -(i + 2)
      if (d3 === 0xff) return -(i + 3)
      return -(i + 4)
    }
    size += c4 === 61 ? (c3 === 61 ? 1 : 2) : 3
    out[o++] = (d1 << 2) | (d2 >> 4)
    out[o++] = ((d2 << 4) | (d3 >> 2)) & 0xff
    out[o++] = ((d3 << 6) | d4) & 0xff
  }
  return size === o ? out : out.subarray(0, size)
}

/** Writes base64 of src into dst at offset; returns the new offset. */
export function b64EncodeInto (src: Buffer, dst: Buffer, offset: number): number {
  const n = src.length
  if (n > 512) return offset + dst.write(src.toString('base64'), offset, 'latin1')
  let o = offset
  let i = 0
  const full = n - (n % 3)
  for (; i < full; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!
    dst[o] = ENC[v >>> 18]!
    dst[o + 1] = ENC[(v >>> 12) & 63]!
    dst[o + 2] = ENC[(v >>> 6) & 63]!
    dst[o + 3] = ENC[v & 63]!
    o += 4
  }
  const rest = n - full
  if (rest === 1) {
    const v = src[i]! << 16
    dst[o] = ENC[v >>> 18]!
    dst[o + 1] = ENC[(v >>> 12) & 63]!
    dst[o + 2] = 61
    dst[o + 3] = 61
    o += 4
  } else if (rest === 2) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8)
    dst[o] = ENC[v >>> 18]!
    dst[o + 1] = ENC[(v >>> 12) & 63]!
    dst[o + 2] = ENC[(v >>> 6) & 63]!
    dst[o + 3] = 61
    o += 4
  }
  return o
}

/**
 * The `+ d` digest: 28 base64 characters read as exactly 20 bytes, as
 * text_parse_digest reads them (7 quads decoded, the 21st byte dropped).
 * Returns -(i + 1) for an invalid character at index i.
 */
export function b64Digest (src: Buffer, start: number): Buffer | number {
  const out = Buffer.allocUnsafe(20)
  let o = 0
  for (let i = start; i < start + 28; i += 4) {
    const d1 = B64_MAP[src[i]!]!
    const d2 = B64_MAP[src[i + 1]!]!
    const d3 = B64_MAP[src[i + 2]!]!
    const d4 = B64_MAP[src[i + 3]!]!
    if (((d1 | d2 | d3 | d4) & 0xc0) !== 0) {
      if (d1 === 0xff) return -(i + 1)
      if (d2 === 0xff) return -(i + 2)
      if (d3 === 0xff) return -(i + 3)
      return -(i + 4)
    }
    out[o++] = (d1 << 2) | (d2 >> 4)
    out[o++] = ((d2 << 4) | (d3 >> 2)) & 0xff
    if (o < 20) out[o++] = ((d3 << 6) | d4) & 0xff
  }
  return out
}
