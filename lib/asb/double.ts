// Doubles as the C tools print and read them (asb-format.md §1.8).
//
// asbackup prints every double with glibc `printf("%.17g")`. JS has no such
// format: `toPrecision(17)` switches to exponent form at other thresholds and
// rounds exact ties away from zero, where glibc rounds half to even. So we take
// the 17 significant digits from `toExponential(16)`, repair the (rare) exact
// ties, and lay them out with the `%g` rules ourselves.
//
// The reader side mirrors dec_text.c: `text_check_floating_point` decides which
// characters are allowed, then `strtod` converts.

const f64 = new Float64Array(1)
const u8 = new Uint8Array(f64.buffer)
// Index of the byte that holds the sign bit (little- or big-endian host).
const SIGN_BYTE = (() => { f64[0] = -1; return u8[7] === 0xbf ? 7 : 0 })()

/** True when the NaN (or any double) has its sign bit set. */
export function signBit (x: number): boolean {
  f64[0] = x
  return (u8[SIGN_BYTE]! & 0x80) !== 0
}

/** A NaN with the sign bit set (what strtod returns for "-nan"); V8 keeps the bit through negation. */
export const NEGATIVE_NAN: number = -NaN

/** 2^25: a non-integral double with at most 25 binary fraction digits can be an exact %.17g tie. */
const TWO_POW_25 = 33554432
const TWO_POW_22 = 4194304
/** 5^0 .. 5^22 (all exact). */
const POW5: number[] = Array.from({ length: 23 }, (_, k) => 5 ** k)

/**
 * Formats like glibc `printf("%.17g", x)`: `nan`, `-nan`, `inf`, `-inf`, `-0`,
 * exponent form when the decimal exponent is < -4 or >= 17 (two-digit minimum
 * exponent with sign), trailing zeros stripped, exact ties rounded half to even.
 */
export function formatDouble (x: number): string {
  if (x !== x) return signBit(x) ? '-nan' : 'nan'
  if (x === Infinity) return 'inf'
  if (x === -Infinity) return '-inf'
  if (x === 0) return Object.is(x, -0) ? '-0' : '0'
  // Integral values below 1e16 print all their digits in both (bench/asb/codec.bench.ts).
  if (Number.isInteger(x) && x < 1e16 && x > -1e16) return String(x)
  const neg = x < 0
  const ax = neg ? -x : x
  const s = ax.toExponential(16) // "d.dddddddddddddddde+N": 17 significant digits
  let digits = s[0]! + s.slice(2, 18)
  let exp = +s.slice(19)
  if (mayBeTie(ax, s)) {
    const tie = evenTie(ax)
    if (tie !== null) { digits = tie.digits; exp = tie.exp }
  }
  return (neg ? '-' : '') + layoutG(digits, exp)
}

/**
 * Whether `s` = ax.toExponential(16) may need evenTie's repair. A tie that
 * toExponential rounded away from zero, where half-to-even keeps the even
 * 17th digit d, printed d + 1 (no carry, as d <= 8): an odd last digit. So an
 * even last digit never needs the repair; nor does a value with more than 25
 * binary fraction digits (see TWO_POW_25). Values like 0.25 or 19.5 are
 * common in data and leave the fast path only when their last digit is odd.
 */
function mayBeTie (ax: number, s: string): boolean {
  return (s.charCodeAt(17) & 1) === 1 && !Number.isInteger(ax) && Number.isInteger(ax * TWO_POW_25)
}

/**
 * formatDouble(x) written as ASCII into dst at o; returns the new offset.
 * dst needs 32 bytes of room. The common case (finite, non-integral, not an
 * exact tie) goes from toExponential's digits straight to bytes, without the
 * intermediate strings (bench/asb/codec.bench.ts); the rest as formatDouble.
 */
export function formatDoubleInto (x: number, dst: Uint8Array, o: number): number {
  const ax = x < 0 ? -x : x
  // Values with few binary fraction digits (0.25, 19.5, 1234.125) are common
  // in data, and toExponential is slowest on them (~450 ns, bignum path). Such
  // a value is m / 2^k (m odd): exactly m * 5^k / 10^k, whose digits, when
  // they fit a safe integer (<= 16 digits), are the %.17g output unrounded.
  const m22 = ax * TWO_POW_22
  if (m22 <= Number.MAX_SAFE_INTEGER && Number.isInteger(m22) && !Number.isInteger(ax)) {
    // low 22 bits of m22, exactly (no %: V8 takes it to fmod for non-Smi doubles)
    const low = (m22 - Math.floor(m22 / TWO_POW_22) * TWO_POW_22) | 0
    const tz = 31 - Math.clz32(low & -low) // low !== 0: ax is not integral
    const k = 22 - tz
    const p = (m22 / (1 << tz)) * POW5[k]!
    if (p <= Number.MAX_SAFE_INTEGER) {
      const d = String(p)
      const exp = d.length - 1 - k
      if (exp >= -4) {
        if (x < 0) dst[o++] = 45
        if (exp < 0) {
          dst[o++] = 48
          dst[o++] = 46
          for (let i = -exp - 1; i > 0; i--) dst[o++] = 48
          for (let i = 0; i < d.length; i++) dst[o++] = d.charCodeAt(i)
        } else {
          for (let i = 0; i <= exp; i++) dst[o++] = d.charCodeAt(i)
          dst[o++] = 46
          for (let i = exp + 1; i < d.length; i++) dst[o++] = d.charCodeAt(i)
        }
        return o
      }
    }
  }
  let s = ''
  if (!(ax < Infinity) || ax === 0 || Number.isInteger(ax) || mayBeTie(ax, s = ax.toExponential(16))) {
    const t = formatDouble(x)
    for (let i = 0; i < t.length; i++) dst[o++] = t.charCodeAt(i)
    return o
  }
  // s = "d.dddddddddddddddde+N"
  let exp = 0
  for (let i = 20; i < s.length; i++) exp = exp * 10 + s.charCodeAt(i) - 48
  if (s.charCodeAt(19) === 45) exp = -exp
  // significant digits: s[0], s[2..17]; `last` = index in s of the last non-zero one
  let last = 17
  while (last > 1 && s.charCodeAt(last) === 48) last--
  if (last === 1) last = 0
  if (x < 0) dst[o++] = 45
  if (exp < -4 || exp >= 17) {
    dst[o++] = s.charCodeAt(0)
    if (last > 0) {
      dst[o++] = 46
      for (let i = 2; i <= last; i++) dst[o++] = s.charCodeAt(i)
    }
    dst[o++] = 101
    dst[o++] = exp < 0 ? 45 : 43
    const ae = exp < 0 ? -exp : exp
    if (ae >= 100) { dst[o++] = 48 + Math.floor(ae / 100); dst[o++] = 48 + Math.floor(ae / 10) % 10 } else dst[o++] = 48 + Math.floor(ae / 10)
    dst[o++] = 48 + ae % 10
    return o
  }
  // digit k (0-based) of the significand is s[k === 0 ? 0 : k + 1]; nSig digits in all
  const nSig = last === 0 ? 1 : last
  if (exp < 0) {
    dst[o++] = 48
    dst[o++] = 46
    for (let i = -exp - 1; i > 0; i--) dst[o++] = 48
    dst[o++] = s.charCodeAt(0)
    for (let k = 1; k < nSig; k++) dst[o++] = s.charCodeAt(k + 1)
    return o
  }
  dst[o++] = s.charCodeAt(0)
  for (let k = 1; k <= exp; k++) dst[o++] = k < nSig ? s.charCodeAt(k + 1) : 48
  if (nSig > exp + 1) {
    dst[o++] = 46
    for (let k = exp + 1; k < nSig; k++) dst[o++] = s.charCodeAt(k + 1)
  }
  return o
}

/**
 * For a double whose exact decimal expansion has exactly 18 significant digits
 * ending in 5 (an exact tie at 17 digits), the half-to-even 17 digits and
 * exponent; null otherwise. Only called for values with <= 25 binary fraction
 * digits, where `toFixed(25)` is the exact expansion.
 */
function evenTie (ax: number): { digits: string, exp: number } | null {
  const fixed = ax.toFixed(25)
  const dot = fixed.indexOf('.')
  const all = fixed.slice(0, dot) + fixed.slice(dot + 1)
  let first = 0
  while (first < all.length && all.charCodeAt(first) === 48) first++
  let last = all.length
  while (last > first && all.charCodeAt(last - 1) === 48) last--
  if (last - first !== 18 || all.charCodeAt(last - 1) !== 53 /* 5 */) return null
  const exp = dot - 1 - first
  const trunc = all.slice(first, first + 17)
  if ((trunc.charCodeAt(16) & 1) === 0) return { digits: trunc, exp }
  return null // odd: rounding up is right, toExponential already did it
}

/** Lays out 17 significant digits with decimal exponent `exp` the way `%.17g` does. */
function layoutG (digits: string, exp: number): string {
  let end = digits.length
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--
  const sig = digits.slice(0, end)
  if (exp < -4 || exp >= 17) {
    const mant = sig.length > 1 ? sig[0] + '.' + sig.slice(1) : sig
    const ae = exp < 0 ? -exp : exp
    return mant + (exp < 0 ? 'e-' : 'e+') + (ae < 10 ? '0' + ae : String(ae))
  }
  if (exp < 0) return '0.' + '0'.repeat(-exp - 1) + sig
  if (sig.length <= exp + 1) return sig + '0'.repeat(exp + 1 - sig.length)
  return sig.slice(0, exp + 1) + '.' + sig.slice(exp + 1)
}

const NAN = 'nan'
const INF = 'inf'
const INFINITY = 'infinity'

/**
 * dec_text.c `text_check_floating_point` applied to every prefix, as the C
 * reader does while it reads: the index of the first character that makes the
 * text invalid, or -1 when every prefix is acceptable. One pass: a prefix is
 * valid while it is a (case-insensitive) prefix of nan/inf/infinity after an
 * optional sign, or follows the digit rules (one '.', before one 'e'; a sign
 * only right after 'e').
 */
export function doubleTextErrorIndex (text: string): number {
  const n = text.length
  let i = 0
  const c0 = text.charCodeAt(0)
  if (c0 === 43 || c0 === 45) i++
  // word prefixes: the first char decides; numeric rules can never accept letters other than 'e'
  const w = n > i ? text.charCodeAt(i) | 0x20 : 0
  if (w === 110 /* n */ || w === 105 /* i */) {
    const word = w === 110 ? NAN : INFINITY
    for (let k = i; k < n; k++) {
      const j = k - i
      if (j >= word.length || (text.charCodeAt(k) | 0x20) !== word.charCodeAt(j)) return k
    }
    return -1
  }
  let dot = false
  let ex = false
  let prev = 0
  for (let k = i; k < n; k++) {
    const ch = text.charCodeAt(k)
    if (ch >= 48 && ch <= 57) { prev = ch; continue }
    if ((ch === 43 || ch === 45) && prev === 101) { prev = ch; continue }
    if (ch === 46 && !dot && !ex) { dot = true; prev = ch; continue }
    if (ch === 101 && !ex) { ex = true; prev = ch; continue }
    return k
  }
  return -1
}

/**
 * The value strtod gives for text that passed the character check, or
 * undefined where the C reader reports "Invalid floating-point value"
 * (strtod stopped before the end). The empty text is 0, as in C.
 */
export function strtodChecked (text: string): number | undefined {
  let i = 0
  const c0 = text.charCodeAt(0)
  const neg = c0 === 45
  if (neg || c0 === 43) i++
  const rest = text.length - i
  if (rest === 3 || rest === 8) {
    const word = text.slice(i).toLowerCase()
    if (word === NAN) return neg ? NEGATIVE_NAN : NaN
    if (word === INF || word === INFINITY) return neg ? -Infinity : Infinity
  }
  const v = Number(text)
  return v === v ? v : undefined
}

/**
 * Parses a double the way the C reader accepts it (optional sign, then
 * `nan` / `inf` / `infinity` in any case, or digits with one `.` and one `e`).
 * Returns undefined for text the C reader rejects.
 */
export function parseDouble (text: string): number | undefined {
  if (doubleTextErrorIndex(text) !== -1) return undefined
  return strtodChecked(text)
}
