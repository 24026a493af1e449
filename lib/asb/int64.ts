// int64 <-> decimal digits beyond 2^53 without BigInt arithmetic.
//
// Values in the safe-integer range go through plain numbers elsewhere; these
// two cover the rest (16 to 19 digits), which the general BigInt paths
// (BigInt(string) on a sliced string, bigint.toString() and range checks
// against computed constants) made the slowest values in the .asb codec
// (bench/asb/codec.bench.ts). The 64 bits travel through a BigInt64Array as
// two 32-bit halves, so one bigint is created per value and the arithmetic
// is on doubles that stay exact (every intermediate is below 2^53).

const I64 = new BigInt64Array(1)
const U32 = new Uint32Array(I64.buffer)
/** Index of the low 32 bits in U32 (little- or big-endian host). */
const LO = (() => { I64[0] = 1n; return U32[0] === 1 ? 0 : 1 })()
const HI = 1 - LO

const TWO32 = 4294967296
const E9 = 1e9

export const INT64_MIN = -(1n << 63n)
export const INT64_MAX = (1n << 63n) - 1n

/**
 * The int64 written by the decimal digits src[s..e) (ASCII, no sign, at most
 * 19 of them), negated when `neg`; undefined when it is out of the int64 range.
 */
export function int64FromDigits (src: Uint8Array, s: number, e: number, neg: boolean): bigint | undefined {
  const n = e - s
  if (n > 19) return undefined
  // hi: all but the last 9 digits (< 1e10), lo: the last 9
  const cut = n > 9 ? e - 9 : s
  let hi = 0
  for (let k = s; k < cut; k++) hi = hi * 10 + src[k]! - 48
  let lo = 0
  for (let k = cut; k < e; k++) lo = lo * 10 + src[k]! - 48
  // magnitude = hi * 1e9 + lo = p2 * 2^16 + p1 (no `%`: on doubles it is a libc fmod call)
  const hh = Math.floor(hi / 65536)
  const p1 = (hi - hh * 65536) * E9 + lo
  const p2 = hh * E9
  const p2h = Math.floor(p2 / 65536)
  const p1h = Math.floor(p1 / TWO32)
  const a = (p2 - p2h * 65536) * 65536 + (p1 - p1h * TWO32)
  const ah = a >= TWO32 ? 1 : 0
  let lo32 = a - ah * TWO32
  let hi32 = p2h + p1h + ah
  if (hi32 >= 0x80000000 && !(neg && hi32 === 0x80000000 && lo32 === 0)) return undefined
  if (neg && (lo32 !== 0 || hi32 !== 0)) {
    // two's complement of the 64-bit magnitude
    if (lo32 !== 0) {
      lo32 = TWO32 - lo32
      hi32 = TWO32 - 1 - hi32
    } else {
      hi32 = TWO32 - hi32
    }
  }
  U32[LO] = lo32
  U32[HI] = hi32
  return I64[0]!
}

/**
 * Decimal digits of an int64 into dst at o (with '-' when negative); returns
 * the new offset. dst needs 20 bytes of room. Throws RangeError outside int64.
 */
export function int64DigitsInto (v: bigint, dst: Uint8Array, o: number): number {
  if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`integer ${v} is outside the int64 range`)
  I64[0] = v
  let lo = U32[LO]!
  let hi = U32[HI]!
  if (hi >= 0x80000000) {
    dst[o++] = 45
    if (lo !== 0) {
      lo = TWO32 - lo
      hi = TWO32 - 1 - hi
    } else {
      hi = TWO32 - hi
    }
  }
  // magnitude / 1e9 through 16-bit steps: q = quotient (< 2^35), r = the last 9 digits
  const qh = Math.floor(hi / E9)
  const x = (hi - qh * E9) * 65536 + (lo >>> 16)
  const q1 = Math.floor(x / E9)
  const y = (x - q1 * E9) * 65536 + (lo & 0xffff)
  const q2 = Math.floor(y / E9)
  const r = y - q2 * E9
  const q = qh * TWO32 + q1 * 65536 + q2
  if (q > 0) {
    o = uintInto(q, dst, o)
    for (let k = 8, t = r; k >= 0; k--) {
      const d = Math.floor(t / 10)
      dst[o + k] = 48 + t - d * 10
      t = d
    }
    return o + 9
  }
  return uintInto(r, dst, o)
}

/** A non-negative safe integer in decimal. */
function uintInto (v: number, dst: Uint8Array, o: number): number {
  let n = 1
  for (let t = v; t >= 10; t = Math.floor(t / 10)) n++
  let k = o + n
  while (v >= 10) {
    const d = Math.floor(v / 10)
    dst[--k] = 48 + v - d * 10
    v = d
  }
  dst[--k] = 48 + v
  return o + n
}
